//! 领导接访 / 约访 (domain.md, Supporting workflows): a leader's reception day on the published
//! calendar (五公开: the leader, post, portfolio, date and place), the petitioners' bookings
//! (约访) through the public channel, and the reception record. Each item received becomes a
//! case packaged to that leader (谁接访、谁包案): supervision puts it on the office's reception
//! list with the leader in charge, where it is closed and its resolution certified.

use crate::aggregate::Aggregate;
use crate::identity::PhoneNumber;
use crate::{Reason, Refusal};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A petitioner's booking (约访). The phone is kept sealed by the service; only its mask shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: String,
    pub name: String,
    pub phone_sealed: String,
    pub phone_masked: String,
    pub matter: String,
    pub at: DateTime<Utc>,
}

/// An item the leader received that day, from a booking or from the hall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Received {
    pub petition_id: String,
    pub case_number: String,
    pub booking: Option<String>,
}

/// One leader's reception day, published by a petition office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceptionDay {
    pub office: String,
    pub leader: String,
    pub post: String,
    /// 分管领域: what the leader is in charge of, so petitioners book the right one.
    pub portfolio: String,
    pub date: NaiveDate,
    pub place: String,
    pub capacity: u32,
    pub bookings: Vec<Booking>,
    pub received: Vec<Received>,
}

/// What a calendar entry announces (五公开).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    pub leader: String,
    pub post: String,
    pub portfolio: String,
    pub date: NaiveDate,
    pub place: String,
    pub capacity: u32,
}

/// A booking as the citizen gives it; the service has sealed the phone already.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBooking {
    pub id: String,
    pub name: String,
    pub phone: String,
    pub phone_sealed: String,
    pub matter: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceptionCommand {
    Publish(Calendar),
    Book(NewBooking),
    /// The leader received the item (already registered by intake), from `booking` if given.
    Receive(Received),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceptionEvent {
    Published { office: String, calendar: Calendar },
    Booked(Booking),
    Received(Received),
}

pub struct ReceptionContext<'a> {
    pub unit: &'a str,
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
}

fn required(field: &str, value: &str) -> Result<String, Refusal> {
    match value.trim() {
        "" => Err(Refusal::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

fn publish(c: Calendar, ctx: &ReceptionContext<'_>) -> Result<ReceptionEvent, Refusal> {
    if c.date < ctx.today {
        return Err(Refusal::field(
            "date",
            format!("{} has passed: the calendar announces days to come", c.date),
        ));
    }
    if c.capacity == 0 {
        return Err(Refusal::field("capacity", "at least one booking"));
    }
    Ok(ReceptionEvent::Published {
        office: ctx.unit.to_owned(),
        calendar: Calendar {
            leader: required("leader_name", &c.leader)?,
            post: required("leader_post", &c.post)?,
            portfolio: c.portfolio.trim().to_owned(),
            date: c.date,
            place: required("place", &c.place)?,
            capacity: c.capacity,
        },
    })
}

fn book(
    day: &ReceptionDay,
    b: NewBooking,
    ctx: &ReceptionContext<'_>,
) -> Result<ReceptionEvent, Refusal> {
    if day.date < ctx.today {
        return Err(Refusal::new(
            Reason::ReceptionClosed,
            format!("the reception of {} has passed", day.date),
        ));
    }
    if day.bookings.len() >= day.capacity as usize {
        return Err(Refusal::new(
            Reason::ReceptionFull,
            format!(
                "all {} places of {}'s reception on {} are booked",
                day.capacity, day.leader, day.date
            ),
        ));
    }
    let phone = PhoneNumber::parse(&b.phone).map_err(|m| Refusal::field("phone", m))?;
    Ok(ReceptionEvent::Booked(Booking {
        id: b.id,
        name: required("name", &b.name)?,
        phone_sealed: b.phone_sealed,
        phone_masked: phone.masked(),
        matter: required("matter", &b.matter)?,
        at: ctx.now,
    }))
}

fn receive(
    day: &ReceptionDay,
    r: Received,
    ctx: &ReceptionContext<'_>,
) -> Result<Vec<ReceptionEvent>, Refusal> {
    if day.office != ctx.unit {
        return Err(Refusal::new(
            Reason::NotResponsibleOrgan,
            format!(
                "the reception is recorded by {}, which published it",
                day.office
            ),
        ));
    }
    if day.date > ctx.today {
        return Err(Refusal::new(
            Reason::IllegalTransition,
            format!("the reception on {} has not taken place yet", day.date),
        ));
    }
    if let Some(id) = &r.booking
        && !day.bookings.iter().any(|b| &b.id == id)
    {
        return Err(Refusal::field(
            "booking_id",
            format!("no booking {id} for this day"),
        ));
    }
    if day.received.iter().any(|x| x.petition_id == r.petition_id) {
        return Ok(Vec::new());
    }
    Ok(vec![ReceptionEvent::Received(r)])
}

impl Aggregate for ReceptionDay {
    type Command = ReceptionCommand;
    type Event = ReceptionEvent;
    type Context<'a> = ReceptionContext<'a>;

    fn decide(
        state: Option<&ReceptionDay>,
        command: ReceptionCommand,
        ctx: &ReceptionContext<'_>,
    ) -> Result<Vec<ReceptionEvent>, Refusal> {
        match (state, command) {
            (None, ReceptionCommand::Publish(c)) => Ok(vec![publish(c, ctx)?]),
            (Some(_), ReceptionCommand::Publish(_)) => Err(Refusal::new(
                Reason::AlreadyRegistered,
                "this reception day is published already",
            )),
            (None, _) => Err(Refusal::new(
                Reason::NotFound,
                "no such reception day on the calendar",
            )),
            (Some(day), ReceptionCommand::Book(b)) => Ok(vec![book(day, b, ctx)?]),
            (Some(day), ReceptionCommand::Receive(r)) => receive(day, r, ctx),
        }
    }

    fn evolve(state: Option<ReceptionDay>, event: &ReceptionEvent) -> Option<ReceptionDay> {
        match (state, event.clone()) {
            (_, ReceptionEvent::Published { office, calendar }) => Some(ReceptionDay {
                office,
                leader: calendar.leader,
                post: calendar.post,
                portfolio: calendar.portfolio,
                date: calendar.date,
                place: calendar.place,
                capacity: calendar.capacity,
                bookings: Vec::new(),
                received: Vec::new(),
            }),
            (Some(mut day), ReceptionEvent::Booked(b)) => {
                day.bookings.push(b);
                Some(day)
            }
            (Some(mut day), ReceptionEvent::Received(r)) => {
                day.received.push(r);
                Some(day)
            }
            (None, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    fn ctx(today: &str) -> ReceptionContext<'static> {
        ReceptionContext {
            unit: "city-xfj",
            now: Utc::now(),
            today: d(today),
        }
    }

    fn run(
        state: Option<&ReceptionDay>,
        command: ReceptionCommand,
        today: &str,
    ) -> Result<ReceptionDay, Refusal> {
        let c = ctx(today);
        let events = ReceptionDay::decide(state, command, &c)?;
        Ok(ReceptionDay::evolve_all(state.cloned(), &events).expect("a day"))
    }

    fn published(capacity: u32) -> ReceptionDay {
        run(
            None,
            ReceptionCommand::Publish(Calendar {
                leader: "王市长".into(),
                post: "副市长".into(),
                portfolio: "城建、国土".into(),
                date: d("2026-03-10"),
                place: "市信访接待大厅".into(),
                capacity,
            }),
            "2026-03-01",
        )
        .unwrap()
    }

    fn booking(id: &str, phone: &str) -> ReceptionCommand {
        ReceptionCommand::Book(NewBooking {
            id: id.into(),
            name: "张三".into(),
            phone: phone.into(),
            phone_sealed: "k1:sealed".into(),
            matter: "拆迁补偿".into(),
        })
    }

    #[test]
    fn bookings_fill_the_day_and_show_only_a_masked_phone() {
        let day = published(1);
        let booked = run(Some(&day), booking("b1", "13812345678"), "2026-03-02").unwrap();
        assert_eq!(booked.bookings[0].phone_masked, "138****5678");
        let full = run(Some(&booked), booking("b2", "13812345679"), "2026-03-02").unwrap_err();
        assert_eq!(full.reason, Reason::ReceptionFull);
        let bad = run(Some(&day), booking("b2", "12345"), "2026-03-02").unwrap_err();
        assert_eq!(bad.fields[0].field, "phone");
        let late = run(Some(&day), booking("b3", "13812345678"), "2026-03-11").unwrap_err();
        assert_eq!(late.reason, Reason::ReceptionClosed);
    }

    #[test]
    fn a_reception_is_recorded_on_or_after_its_day_once_per_item() {
        let day = run(
            Some(&published(5)),
            booking("b1", "13812345678"),
            "2026-03-02",
        )
        .unwrap();
        let item = |booking: Option<&str>| {
            ReceptionCommand::Receive(Received {
                petition_id: "p1".into(),
                case_number: "XF-1".into(),
                booking: booking.map(str::to_owned),
            })
        };
        let early = run(Some(&day), item(Some("b1")), "2026-03-09").unwrap_err();
        assert_eq!(early.reason, Reason::IllegalTransition);
        let unknown = run(Some(&day), item(Some("zz")), "2026-03-10").unwrap_err();
        assert_eq!(unknown.fields[0].field, "booking_id");
        let received = run(Some(&day), item(Some("b1")), "2026-03-10").unwrap();
        assert_eq!(received.received.len(), 1);
        let c = ctx("2026-03-10");
        assert!(
            ReceptionDay::decide(Some(&received), item(None), &c)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_calendar_announces_days_to_come_with_the_five_public_facts() {
        let past = ReceptionDay::decide(
            None,
            ReceptionCommand::Publish(Calendar {
                leader: "王市长".into(),
                post: "副市长".into(),
                portfolio: String::new(),
                date: d("2026-02-01"),
                place: "大厅".into(),
                capacity: 3,
            }),
            &ctx("2026-03-01"),
        )
        .unwrap_err();
        assert_eq!(past.fields[0].field, "date");
        let no_place = ReceptionDay::decide(
            None,
            ReceptionCommand::Publish(Calendar {
                leader: "王市长".into(),
                post: "副市长".into(),
                portfolio: String::new(),
                date: d("2026-03-02"),
                place: " ".into(),
                capacity: 3,
            }),
            &ctx("2026-03-01"),
        )
        .unwrap_err();
        assert_eq!(no_place.fields[0].field, "place");
    }
}
