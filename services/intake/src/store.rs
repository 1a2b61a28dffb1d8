//! Reading petitions (the read side; a registration and each change of a petition go through
//! the unit of work), and the case-number counter a registration takes in its transaction.

use crate::entity::{petition, petitioner, public_step};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect,
};
use std::collections::HashMap;
use xinfang_domain::lifecycle::State;
use xinfang_domain::screening::PriorItem;
use xinfang_platform::pii::PiiVault;
use xinfang_platform::policy::Scope;

pub const SERVICE: &str = "intake";

/// A prior item of a person: their hash, and the item's id, matter, state, link and time.
type PriorRow = (
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
);

#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
}

/// Filters of `ListPetitions`, already checked.
#[derive(Debug)]
pub struct ListFilter {
    /// What the caller may see.
    pub scope: Scope,
    pub states: Vec<State>,
    pub channel_code: Option<String>,
    pub region_prefix: Option<String>,
    pub registered_from: Option<DateTime<Utc>>,
    pub registered_before: Option<DateTime<Utc>>,
    pub flag_mask: i64,
    /// Keyset: rows strictly after this (registered_at, id), newest first.
    pub after: Option<(DateTime<Utc>, String)>,
    pub limit: u64,
}

impl Store {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub async fn by_idempotency_key(&self, key: &str) -> Result<Option<petition::Model>, DbErr> {
        petition::Entity::find()
            .filter(petition::Column::IdempotencyKey.eq(key))
            .one(&self.db)
            .await
    }

    pub async fn by_id(&self, id: &str) -> Result<Option<petition::Model>, DbErr> {
        petition::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await
    }

    /// The petition of a query code, whichever listed hash key its hash was made with.
    pub async fn by_query_code(
        &self,
        vault: &PiiVault,
        code: &str,
    ) -> Result<Option<petition::Model>, DbErr> {
        petition::Entity::find()
            .filter(petition::Column::QueryCodeHash.is_in(vault.hashes(code)))
            .one(&self.db)
            .await
    }

    pub async fn petitioners(&self, petition_id: &str) -> Result<Vec<petitioner::Model>, DbErr> {
        petitioner::Entity::find()
            .filter(petitioner::Column::PetitionId.eq(petition_id))
            .order_by_asc(petitioner::Column::Position)
            .all(&self.db)
            .await
    }

    /// The petitioners of several petitions, in order.
    pub async fn petitioners_of(&self, ids: &[String]) -> Result<Vec<petitioner::Model>, DbErr> {
        petitioner::Entity::find()
            .filter(petitioner::Column::PetitionId.is_in(ids.iter().cloned()))
            .order_by_asc(petitioner::Column::PetitionId)
            .order_by_asc(petitioner::Column::Position)
            .all(&self.db)
            .await
    }

    pub async fn public_steps(&self, petition_id: &str) -> Result<Vec<public_step::Model>, DbErr> {
        public_step::Entity::find()
            .filter(public_step::Column::PetitionId.eq(petition_id))
            .order_by_asc(public_step::Column::Id)
            .all(&self.db)
            .await
    }

    /// Earlier items of any petitioner with one of these ID numbers, found under every listed
    /// hash key and keyed by the newest hash (what screening compares), so a rotation half done
    /// still links a repeat to its first item.
    pub async fn priors(
        &self,
        vault: &PiiVault,
        numbers: &[&str],
    ) -> Result<Vec<PriorItem>, DbErr> {
        if numbers.is_empty() {
            return Ok(Vec::new());
        }
        let current: HashMap<String, String> = numbers
            .iter()
            .flat_map(|n| {
                let newest = vault.hash(n);
                vault
                    .hashes(n)
                    .into_iter()
                    .map(move |h| (h, newest.clone()))
            })
            .collect();
        // The few columns screening reads, never the items' texts: a person with a long history
        // costs a small row per item.
        let rows: Vec<PriorRow> = petitioner::Entity::find()
            .select_only()
            .column(petitioner::Column::IdNumberHash)
            .column(petition::Column::Id)
            .column(petition::Column::MatterKey)
            .column(petition::Column::State)
            .column(petition::Column::LinkedPetitionId)
            .column(petition::Column::RegisteredAt)
            .inner_join(petition::Entity)
            .filter(petitioner::Column::IdNumberHash.is_in(current.keys().cloned()))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(hash, id, matter_key, state, linked_to, registered_at)| {
                Some(PriorItem {
                    id,
                    petitioner_key: current.get(&hash?)?.clone(),
                    matter_key,
                    state: State::parse(&state)?,
                    linked_to,
                    registered_at,
                })
            })
            .collect())
    }

    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<petition::Model>, DbErr> {
        use petition::Column as C;
        let mut query = petition::Entity::find().filter(crate::scope::condition(&filter.scope));
        if !filter.states.is_empty() {
            query = query.filter(C::State.is_in(filter.states.iter().map(|s| s.as_str())));
        }
        if let Some(channel) = &filter.channel_code {
            query = query.filter(C::ChannelCode.eq(channel.as_str()));
        }
        if let Some(prefix) = &filter.region_prefix {
            query = query.filter(C::RegionCode.starts_with(prefix));
        }
        if let Some(from) = filter.registered_from {
            query = query.filter(C::RegisteredAt.gte(from));
        }
        if let Some(before) = filter.registered_before {
            query = query.filter(C::RegisteredAt.lt(before));
        }
        if filter.flag_mask != 0 {
            query = query.filter(Expr::col(C::FlagMask).bit_and(filter.flag_mask).ne(0));
        }
        if let Some((at, id)) = &filter.after {
            query = query.filter(
                Condition::any().add(C::RegisteredAt.lt(*at)).add(
                    Condition::all()
                        .add(C::RegisteredAt.eq(*at))
                        .add(C::Id.lt(id.as_str())),
                ),
            );
        }
        query
            .order_by(C::RegisteredAt, Order::Desc)
            .order_by(C::Id, Order::Desc)
            .limit(filter.limit)
            .all(&self.db)
            .await
    }
}
