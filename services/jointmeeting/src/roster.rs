//! The joint reception roster (联合接访, 一局一周) on the write path and on the wire.

use crate::entity::roster;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use xinfang_domain::roster::{Roster, RosterEvent};
use xinfang_events::Payload;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_store::rows::{from_json, to_json, write_row};
use xinfang_store::{Repository, Versioned, Writes};

/// The row id of an office's roster of a year.
pub fn id(office: &str, year: i32) -> String {
    format!("{office}:{year}")
}

pub struct RosterRepository;

impl Repository for RosterRepository {
    type Aggregate = Roster;
    const KIND: &'static str = "roster";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Roster>>, DbErr> {
        let Some(row) = roster::Entity::find_by_id(id.to_owned()).one(db).await? else {
            return Ok(None);
        };
        let state = from_json(&row.state, &format!("roster {id}"))?;
        Ok(Some(Versioned {
            state,
            version: row.version,
        }))
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Roster,
        _events: &[RosterEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let row = roster::Model {
            id: id.to_owned(),
            state: to_json(state)?,
            version,
        }
        .into_active_model();
        let key = Condition::all().add(roster::Column::Id.eq(id));
        write_row(writes, row, key, roster::Column::Version, expected).await
    }

    /// The roster is the office's own; the portal reads it from here.
    fn announce(
        &self,
        _id: &str,
        _after: &Roster,
        _event: &RosterEvent,
    ) -> Option<(String, Payload)> {
        None
    }

    fn audit(&self, event: &RosterEvent) -> (&'static str, serde_json::Value) {
        match event {
            RosterEvent::Published { weeks, .. } => (
                "publish_roster",
                serde_json::json!({ "weeks": weeks.len() }),
            ),
            RosterEvent::Swapped(s) => (
                "swap_duty",
                serde_json::json!({ "week": s.week.to_string(), "from": s.from, "to": s.to }),
            ),
        }
    }
}

/// The roster as the API shows it, with who is on duty on `day`.
pub fn wire(r: &Roster, day: chrono::NaiveDate) -> jm::Roster {
    jm::Roster {
        office_code: r.office.clone(),
        year: r.year,
        weeks: r
            .weeks
            .iter()
            .map(|(week, units)| jm::RosterWeek {
                week_start: week.to_string(),
                organ_codes: units.clone(),
            })
            .collect(),
        swaps: r
            .swaps
            .iter()
            .map(|s| jm::DutySwap {
                week_start: s.week.to_string(),
                from_organ_code: s.from.clone(),
                to_organ_code: s.to.clone(),
                reason: s.reason.clone(),
                date: s.on.to_string(),
            })
            .collect(),
        on_duty_organ_codes: r.on_duty(day).to_vec(),
    }
}
