//! Leader receptions (领导接访 / 约访) on the write path and on the wire: the reception day's row,
//! the event that packages a received item to the leader (谁接访、谁包案), and the day as the
//! public calendar and the office show it.

use crate::entity::reception;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use std::collections::BTreeMap;
use xinfang_domain::reception::{ReceptionDay, ReceptionEvent};
use xinfang_events::Payload;
use xinfang_events::envelope::timestamp;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_store::rows::{from_json, to_json, write_row};
use xinfang_store::{Repository, Versioned, Writes};

/// Where a booking's sealed phone belongs: it opens for this day and booking only.
pub fn phone_place(day: &str, booking: &str) -> String {
    xinfang_platform::pii::place(
        "jointmeeting_reception",
        "phone",
        &format!("{day}/{booking}"),
    )
}

pub fn from_row(row: reception::Model) -> Result<Versioned<ReceptionDay>, DbErr> {
    let state = from_json(&row.state, &format!("reception day {}", row.id))?;
    Ok(Versioned {
        state,
        version: row.version,
    })
}

pub struct ReceptionRepository;

impl Repository for ReceptionRepository {
    type Aggregate = ReceptionDay;
    const KIND: &'static str = "reception";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<ReceptionDay>>, DbErr> {
        reception::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
            .map(from_row)
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &ReceptionDay,
        _events: &[ReceptionEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let row = reception::Model {
            id: id.to_owned(),
            office: state.office.clone(),
            held_on: state.date.to_string(),
            state: to_json(state)?,
            version,
        }
        .into_active_model();
        let key = Condition::all().add(reception::Column::Id.eq(id));
        write_row(writes, row, key, reception::Column::Version, expected).await
    }

    /// 谁接访、谁包案: each item received is announced, keyed by the item, with its leader.
    fn announce(
        &self,
        id: &str,
        after: &ReceptionDay,
        event: &ReceptionEvent,
    ) -> Option<(String, Payload)> {
        match event {
            ReceptionEvent::Received(r) => Some((
                r.petition_id.clone(),
                Payload::ReceptionRecorded(ev::ReceptionRecorded {
                    reception_day_id: id.to_owned(),
                    leader_name: after.leader.clone(),
                    leader_post: after.post.clone(),
                    office_code: after.office.clone(),
                    reception_date: after.date.to_string(),
                }),
            )),
            ReceptionEvent::Published { .. } | ReceptionEvent::Booked(_) => None,
        }
    }

    fn audit(&self, event: &ReceptionEvent) -> (&'static str, serde_json::Value) {
        use serde_json::json;
        match event {
            ReceptionEvent::Published { calendar, .. } => (
                "publish_reception",
                json!({ "leader": calendar.leader, "date": calendar.date.to_string() }),
            ),
            // The petitioner's name and phone stay out of the audit log.
            ReceptionEvent::Booked(b) => ("book_reception", json!({ "booking": b.id })),
            ReceptionEvent::Received(r) => (
                "record_reception",
                json!({ "petition": r.petition_id, "booking": r.booking }),
            ),
        }
    }
}

/// The day as the API shows it; bookings only to the office (`with_bookings`).
pub fn wire(id: &str, d: &ReceptionDay, with_bookings: bool) -> jm::ReceptionDay {
    jm::ReceptionDay {
        id: id.to_owned(),
        office_code: d.office.clone(),
        leader_name: d.leader.clone(),
        leader_post: d.post.clone(),
        portfolio: d.portfolio.clone(),
        date: d.date.to_string(),
        place: d.place.clone(),
        capacity: i32::try_from(d.capacity).unwrap_or(i32::MAX),
        booked: i32::try_from(d.bookings.len()).unwrap_or(i32::MAX),
        bookings: if with_bookings {
            d.bookings.iter().map(|b| booking(id, b)).collect()
        } else {
            Vec::new()
        },
        received: if with_bookings {
            d.received
                .iter()
                .map(|r| jm::ReceivedItem {
                    petition_id: r.petition_id.clone(),
                    case_number: r.case_number.clone(),
                    booking_id: r.booking.clone().unwrap_or_default(),
                })
                .collect()
        } else {
            Vec::new()
        },
    }
}

pub fn booking(day: &str, b: &xinfang_domain::reception::Booking) -> jm::Booking {
    jm::Booking {
        id: b.id.clone(),
        reception_day_id: day.to_owned(),
        name: b.name.clone(),
        phone_masked: b.phone_masked.clone(),
        matter: b.matter.clone(),
        booked_at: Some(timestamp(b.at)),
    }
}

/// Days held (up to `today`) and items received, per leader, over `days`.
pub fn leader_figures<'a>(
    days: impl Iterator<Item = &'a ReceptionDay>,
    today: chrono::NaiveDate,
) -> Vec<jm::LeaderFigures> {
    let mut by_leader: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for d in days {
        let f = by_leader
            .entry((d.leader.clone(), d.post.clone()))
            .or_default();
        f.0 += i64::from(d.date <= today);
        f.1 += d.received.len() as i64;
    }
    by_leader
        .into_iter()
        .map(
            |((leader_name, leader_post), (days, items_received))| jm::LeaderFigures {
                leader_name,
                leader_post,
                days,
                items_received,
            },
        )
        .collect()
}
