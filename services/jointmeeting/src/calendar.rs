//! The leader reception calls: the office publishes a day on its calendar, the public reads the
//! calendar and books a place (no token, limited per address), the office sees its bookings and
//! records the items its leader received.

use crate::api::{JointMeetingApi, day, not_found_as, required};
use crate::entity::{item, reception};
use crate::error::MeetingError;
use crate::reception::{self as rec, ReceptionRepository};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::reception::{
    Calendar, NewBooking, Received, ReceptionCommand, ReceptionContext, ReceptionDay,
};
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::{Holders, Scope};
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_store::{Meta, Repository};

/// The actor of a public booking: the citizen, who has no account.
const CITIZEN: &str = "citizen";

impl JointMeetingApi {
    /// Whether the caller sees the office's bookings: the office itself, or a unit above it.
    fn sees_bookings(&self, caller: &Caller, office: &str) -> Result<bool, MeetingError> {
        let reference = self.reference.current();
        let scope = Scope::of(&reference.org, caller)?;
        let region = reference.org.unit(office).map_or("", |u| u.region.as_str());
        Ok(scope.sees(&Holders {
            regions: vec![region],
            units: vec![office],
        }))
    }

    async fn reception_change(
        &self,
        meta: &Meta,
        unit: &str,
        id: &str,
        command: ReceptionCommand,
    ) -> Result<ReceptionDay, MeetingError> {
        let ctx = ReceptionContext {
            unit,
            now: meta.at,
            today: self.clock.date_of(meta.at),
        };
        let saved = self
            .uow
            .execute(&ReceptionRepository, id, meta, |state| {
                ReceptionDay::decide(state, command.clone(), &ctx)
            })
            .await?;
        saved
            .state
            .ok_or_else(|| not_found_as("no such reception day"))
    }

    async fn reception_day(&self, id: &str) -> Result<(String, ReceptionDay), MeetingError> {
        let id = required("reception_day_id", id)?;
        let day = ReceptionRepository
            .load(self.uow.db(), &id)
            .await?
            .ok_or_else(|| not_found_as("no such reception day on the calendar"))?;
        Ok((id, day.state))
    }

    pub(crate) async fn publish_reception(
        &self,
        caller: &Caller,
        r: jm::PublishReceptionDayRequest,
    ) -> Result<jm::ReceptionDay, MeetingError> {
        let command = ReceptionCommand::Publish(Calendar {
            leader: r.leader_name,
            post: r.leader_post,
            portfolio: r.portfolio,
            date: day("date", &r.date)?,
            place: r.place,
            capacity: u32::try_from(r.capacity)
                .map_err(|_| MeetingError::field("capacity", "at least one booking"))?,
        });
        let id = uuid::Uuid::now_v7().to_string();
        let meta = Meta::of(caller, self.clock.now());
        let d = self
            .reception_change(&meta, &caller.org_unit, &id, command)
            .await?;
        Ok(rec::wire(&id, &d, true))
    }

    pub(crate) async fn reception_calendar(
        &self,
        caller: Option<&Caller>,
        r: jm::ListReceptionCalendarRequest,
    ) -> Result<jm::ListReceptionCalendarResponse, MeetingError> {
        let today = self.clock.today();
        let from = match r.from_date.trim() {
            "" => today,
            d => day("from_date", d)?,
        };
        let to = match r.to_date.trim() {
            "" => from + chrono::Days::new(366),
            d => day("to_date", d)?,
        };
        let mut query = reception::Entity::find()
            .filter(reception::Column::HeldOn.gte(from.to_string()))
            .filter(reception::Column::HeldOn.lte(to.to_string()));
        let office = match (r.office_code.trim(), caller) {
            ("", Some(c)) => Some(c.org_unit.clone()),
            ("", None) => None,
            (code, _) => Some(code.to_owned()),
        };
        if let Some(office) = &office {
            query = query.filter(reception::Column::Office.eq(office.as_str()));
        }
        let rows = query
            .order_by_asc(reception::Column::HeldOn)
            .order_by_asc(reception::Column::Id)
            .all(self.uow.db())
            .await?;
        let mut days = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.id.clone();
            days.push((id, rec::from_row(row)?.state));
        }
        let office_sees = match (caller, &office) {
            (Some(c), Some(o)) => self.sees_bookings(c, o)?,
            _ => false,
        };
        Ok(jm::ListReceptionCalendarResponse {
            leaders: rec::leader_figures(days.iter().map(|(_, d)| d), today),
            days: days
                .iter()
                .map(|(id, d)| rec::wire(id, d, office_sees))
                .collect(),
        })
    }

    pub(crate) async fn book(
        &self,
        caller: Option<&Caller>,
        r: jm::BookReceptionRequest,
    ) -> Result<jm::Booking, MeetingError> {
        let (day_id, _) = self.reception_day(&r.reception_day_id).await?;
        let booking = uuid::Uuid::now_v7().to_string();
        let command = ReceptionCommand::Book(NewBooking {
            id: booking.clone(),
            name: r.name,
            phone_sealed: self
                .vault
                .seal(r.phone.trim(), &rec::phone_place(&day_id, &booking)),
            phone: r.phone,
            matter: r.matter,
        });
        let at = self.clock.now();
        let meta = match caller {
            Some(c) => Meta::of(c, at),
            None => Meta::system(CITIZEN, at),
        };
        let d = self.reception_change(&meta, "", &day_id, command).await?;
        let made =
            d.bookings.iter().find(|b| b.id == booking).ok_or_else(|| {
                sea_orm::DbErr::RecordNotFound(format!("booking {booking} vanished"))
            })?;
        Ok(rec::booking(&day_id, made))
    }

    pub(crate) async fn reception_day_view(
        &self,
        caller: &Caller,
        r: jm::GetReceptionDayRequest,
    ) -> Result<jm::ReceptionDay, MeetingError> {
        let (id, d) = self.reception_day(&r.reception_day_id).await?;
        Ok(rec::wire(&id, &d, self.sees_bookings(caller, &d.office)?))
    }

    pub(crate) async fn receive(
        &self,
        caller: &Caller,
        r: jm::RecordReceptionRequest,
    ) -> Result<jm::ReceptionDay, MeetingError> {
        let (id, _) = self.reception_day(&r.reception_day_id).await?;
        let petition = required("petition_id", &r.petition_id)?;
        let known = item::Entity::find_by_id(petition.clone())
            .one(self.uow.db())
            .await?
            .ok_or_else(|| {
                MeetingError::Refused(
                    Refusal::new(Reason::NotFound, format!("no item {petition} in this node"))
                        .at("petition_id"),
                )
            })?;
        let command = ReceptionCommand::Receive(Received {
            petition_id: petition,
            case_number: known.case_number,
            booking: Some(r.booking_id.trim().to_owned()).filter(|b| !b.is_empty()),
        });
        let meta = Meta::of(caller, self.clock.now());
        let d = self
            .reception_change(&meta, &caller.org_unit, &id, command)
            .await?;
        Ok(rec::wire(&id, &d, true))
    }
}
