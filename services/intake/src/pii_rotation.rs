//! 密钥轮换 — personal data moved onto the newest keys (`xinfang pii rotate`): every value sealed
//! or hashed with an older key is opened and sealed and hashed again, a batch per transaction,
//! beside the running services. Stopped half-way it resumes where it was; once nothing is left
//! the older keys can be taken out of `pii.seal_keys` and `pii.hash_keys`.

use crate::entity::{petition, petitioner};
use crate::sealed_at;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use xinfang_platform::database;
use xinfang_platform::pii::{PiiError, PiiVault};

#[derive(Debug, thiserror::Error)]
pub enum RotationError {
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("{what}: {source}")]
    Unseal { what: String, source: PiiError },
}

/// Rows whose personal data is still on an older key.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    pub petitions: u64,
    pub petitioners: u64,
}

impl Remaining {
    pub fn none(&self) -> bool {
        self.petitions == 0 && self.petitioners == 0
    }
}

/// A sealed or hashed column not on the newest key (`NULL` has nothing to rotate).
fn stale(column: impl ColumnTrait, newest: &str) -> Condition {
    Condition::all()
        .add(column.is_not_null())
        .add(column.not_like(format!("{newest}:%")))
}

fn stale_petitions(vault: &PiiVault) -> Condition {
    let (seal, hash) = vault.newest();
    Condition::any()
        .add(stale(petition::Column::QueryCodeSealed, seal))
        .add(stale(petition::Column::QueryCodeHash, hash))
}

fn stale_petitioners(vault: &PiiVault) -> Condition {
    let (seal, hash) = vault.newest();
    Condition::any()
        .add(stale(petitioner::Column::IdNumberSealed, seal))
        .add(stale(petitioner::Column::IdNumberHash, hash))
        .add(stale(petitioner::Column::PhoneSealed, seal))
}

pub async fn remaining(db: &DatabaseConnection, vault: &PiiVault) -> Result<Remaining, DbErr> {
    Ok(Remaining {
        petitions: petition::Entity::find()
            .filter(stale_petitions(vault))
            .count(db)
            .await?,
        petitioners: petitioner::Entity::find()
            .filter(stale_petitioners(vault))
            .count(db)
            .await?,
    })
}

/// Moves up to `batch` petitions and `batch` petitioners onto the newest keys in one
/// transaction; how many it moved (zero: nothing was left).
pub async fn rotate_batch(
    db: &DatabaseConnection,
    vault: &PiiVault,
    batch: u64,
) -> Result<Remaining, RotationError> {
    let txn = db.begin().await?;
    let petitions = petition::Entity::find()
        .filter(stale_petitions(vault))
        .order_by_asc(petition::Column::Id)
        .limit(batch)
        .all(&txn)
        .await?;
    for row in &petitions {
        let code = open(
            vault,
            &row.query_code_sealed,
            &sealed_at::query_code(&row.id),
            || format!("petition {} query code", row.case_number),
        )?;
        petition::Entity::update_many()
            .col_expr(
                petition::Column::QueryCodeSealed,
                Expr::value(vault.seal(&code, &sealed_at::query_code(&row.id))),
            )
            .col_expr(
                petition::Column::QueryCodeHash,
                Expr::value(vault.hash(&code)),
            )
            .filter(petition::Column::Id.eq(&row.id))
            .exec(&txn)
            .await?;
    }
    let people = petitioner::Entity::find()
        .filter(stale_petitioners(vault))
        .order_by_asc(petitioner::Column::PetitionId)
        .order_by_asc(petitioner::Column::Position)
        .limit(batch)
        .all(&txn)
        .await?;
    for row in &people {
        let what =
            |column: &str| format!("petitioner {}/{} {column}", row.petition_id, row.position);
        let id_place = sealed_at::id_number(&row.petition_id, row.position);
        let phone_place = sealed_at::phone(&row.petition_id, row.position);
        let id_number = (row.id_number_sealed.as_deref())
            .map(|s| open(vault, s, &id_place, || what("id_number")))
            .transpose()?;
        let phone = (row.phone_sealed.as_deref())
            .map(|s| open(vault, s, &phone_place, || what("phone")))
            .transpose()?;
        petitioner::Entity::update_many()
            .col_expr(
                petitioner::Column::IdNumberSealed,
                Expr::value(id_number.as_deref().map(|n| vault.seal(n, &id_place))),
            )
            .col_expr(
                petitioner::Column::IdNumberHash,
                Expr::value(id_number.as_deref().map(|n| vault.hash(n))),
            )
            .col_expr(
                petitioner::Column::PhoneSealed,
                Expr::value(phone.as_deref().map(|n| vault.seal(n, &phone_place))),
            )
            .filter(petitioner::Column::PetitionId.eq(&row.petition_id))
            .filter(petitioner::Column::Position.eq(row.position))
            .exec(&txn)
            .await?;
    }
    database::commit(db, txn).await?;
    Ok(Remaining {
        petitions: petitions.len() as u64,
        petitioners: people.len() as u64,
    })
}

fn open(
    vault: &PiiVault,
    sealed: &str,
    place: &str,
    what: impl FnOnce() -> String,
) -> Result<String, RotationError> {
    vault
        .open(sealed, place)
        .map_err(|source| RotationError::Unseal {
            what: what(),
            source,
        })
}
