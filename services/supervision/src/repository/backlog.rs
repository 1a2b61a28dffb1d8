//! The backlog entry (积案 / 包案): its row and the change it announces.

use crate::entity::backlog_item;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use xinfang_domain::supervision::{Entry, EntryEvent, Leader, Resolution};
use xinfang_events::Payload;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_store::rows::{date, text, write_row};
use xinfang_store::{Repository, Versioned, Writes};

/// An entry's id: its list and its petition.
pub fn entry_id(list: &str, petition: &str) -> String {
    format!("{list}/{petition}")
}

fn split(id: &str) -> Result<(&str, &str), DbErr> {
    id.split_once('/')
        .ok_or_else(|| DbErr::Custom(format!("backlog entry id {id:?} is not list/petition")))
}

pub struct EntryRepository;

impl Repository for EntryRepository {
    type Aggregate = Entry;
    const KIND: &'static str = "backlog";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Entry>>, DbErr> {
        let (list, petition) = split(id)?;
        backlog_item::Entity::find_by_id((list.to_owned(), petition.to_owned()))
            .one(db)
            .await?
            .map(from_row)
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Entry,
        _events: &[EntryEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let (list, petition) = split(id)?;
        let row = to_row(list, petition, state, version).into_active_model();
        let key = Condition::all()
            .add(backlog_item::Column::ListId.eq(list))
            .add(backlog_item::Column::PetitionId.eq(petition));
        write_row(writes, row, key, backlog_item::Column::Version, expected).await
    }

    fn announce(&self, id: &str, after: &Entry, event: &EntryEvent) -> Option<(String, Payload)> {
        if *event == EntryEvent::Added {
            return None;
        }
        let (list, petition) = split(id).ok()?;
        Some((
            petition.to_owned(),
            Payload::BacklogItemChanged(ev::BacklogItemChanged {
                list_id: list.to_owned(),
                closed: after.closed_on.is_some(),
                resolved: after.resolution.is_some(),
                leader_name: after
                    .leader
                    .as_ref()
                    .map(|l| l.name.clone())
                    .unwrap_or_default(),
            }),
        ))
    }

    fn audit(&self, event: &EntryEvent) -> (&'static str, serde_json::Value) {
        match event {
            EntryEvent::Added => ("add_to_list", serde_json::Value::Null),
            EntryEvent::LeaderAssigned(leader) => (
                "assign_leader",
                serde_json::json!({ "leader": leader.name, "target": leader.target.to_string() }),
            ),
            EntryEvent::Closed { on } => ("close", serde_json::json!({ "on": on.to_string() })),
            EntryEvent::Certified(r) => (
                "certify_resolution",
                serde_json::json!({ "by": r.certified_by, "on": r.on.to_string() }),
            ),
        }
    }
}

fn to_row(list: &str, petition: &str, e: &Entry, version: i64) -> backlog_item::Model {
    backlog_item::Model {
        list_id: list.to_owned(),
        petition_id: petition.to_owned(),
        leader_name: e.leader.as_ref().map(|l| l.name.clone()),
        leader_post: e.leader.as_ref().map(|l| l.post.clone()),
        target_date: text(e.leader.as_ref().map(|l| l.target)),
        closed: e.closed_on.is_some(),
        closed_on: text(e.closed_on),
        resolved: e.resolution.is_some(),
        certified_by: e.resolution.as_ref().map(|r| r.certified_by.clone()),
        evidence: e.resolution.as_ref().map(|r| r.evidence.clone()),
        certified_on: text(e.resolution.as_ref().map(|r| r.on)),
        version,
    }
}

fn from_row(row: backlog_item::Model) -> Result<Versioned<Entry>, DbErr> {
    let leader = match (&row.leader_name, date(&row.target_date)?) {
        (Some(name), Some(target)) => Some(Leader {
            name: name.clone(),
            post: row.leader_post.clone().unwrap_or_default(),
            target,
        }),
        _ => None,
    };
    let resolution = match (&row.certified_by, date(&row.certified_on)?) {
        (Some(by), Some(on)) if row.resolved => Some(Resolution {
            certified_by: by.clone(),
            evidence: row.evidence.clone().unwrap_or_default(),
            on,
        }),
        _ => None,
    };
    Ok(Versioned {
        state: Entry {
            leader,
            closed_on: date(&row.closed_on)?,
            resolution,
        },
        version: row.version,
    })
}
