//! The joint meeting on the write path: its row (the aggregate as JSON beside the columns the
//! lists select by) and what its events announce, keyed by the item they concern.

use crate::entity::meeting;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use xinfang_domain::meeting::{Meeting, MeetingEvent};
use xinfang_events::Payload;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_store::rows::{from_json, to_json, write_row};
use xinfang_store::{Repository, Versioned, Writes};

pub struct MeetingRepository;

pub fn meeting_from_row(row: meeting::Model) -> Result<Versioned<Meeting>, DbErr> {
    let state = from_json(&row.state, &format!("joint meeting {}", row.id))?;
    Ok(Versioned {
        state,
        version: row.version,
    })
}

impl Repository for MeetingRepository {
    type Aggregate = Meeting;
    const KIND: &'static str = "meeting";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Meeting>>, DbErr> {
        meeting::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
            .map(meeting_from_row)
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Meeting,
        _events: &[MeetingEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let row = meeting::Model {
            id: id.to_owned(),
            convener: state.convener.clone(),
            held_on: state.held_on.to_string(),
            state: to_json(state)?,
            version,
        }
        .into_active_model();
        let key = Condition::all().add(meeting::Column::Id.eq(id));
        write_row(writes, row, key, meeting::Column::Version, expected).await
    }

    fn announce(
        &self,
        id: &str,
        after: &Meeting,
        event: &MeetingEvent,
    ) -> Option<(String, Payload)> {
        match event {
            MeetingEvent::Decided {
                petition_id,
                decision,
            } => Some((
                petition_id.clone(),
                Payload::MeetingDecisionRecorded(ev::MeetingDecisionRecorded {
                    meeting_id: id.to_owned(),
                    lead_organ_code: decision.lead.clone(),
                    deadline: decision.deadline.to_string(),
                    cooperating_organ_codes: decision.cooperating.clone(),
                    measures: decision
                        .measures
                        .iter()
                        .map(|m| jm::Measure::from(*m) as i32)
                        .collect(),
                    held_date: after.held_on.to_string(),
                    convener_organ_code: after.convener.clone(),
                }),
            )),
            MeetingEvent::Resolved {
                petition_id,
                resolution,
            } => Some((
                petition_id.clone(),
                Payload::MeetingItemResolved(ev::MeetingItemResolved {
                    meeting_id: id.to_owned(),
                    certified_by: resolution.certified_by.clone(),
                }),
            )),
            // The meeting itself, its agenda and follow-ups stay here.
            MeetingEvent::Convened { .. }
            | MeetingEvent::ItemAdded(_)
            | MeetingEvent::FollowedUp { .. } => None,
        }
    }

    fn audit(&self, event: &MeetingEvent) -> (&'static str, serde_json::Value) {
        use serde_json::json;
        match event {
            MeetingEvent::Convened {
                held_on, members, ..
            } => (
                "convene",
                json!({ "held_on": held_on.to_string(), "members": members }),
            ),
            MeetingEvent::ItemAdded(i) => ("add_item", json!({ "petition": i.petition_id })),
            MeetingEvent::Decided {
                petition_id,
                decision,
            } => (
                "decide",
                json!({ "petition": petition_id, "lead": decision.lead,
                        "deadline": decision.deadline.to_string() }),
            ),
            MeetingEvent::FollowedUp { petition_id, .. } => {
                ("follow_up", json!({ "petition": petition_id }))
            }
            MeetingEvent::Resolved {
                petition_id,
                resolution,
            } => (
                "certify_resolution",
                json!({ "petition": petition_id, "by": resolution.certified_by }),
            ),
        }
    }
}
