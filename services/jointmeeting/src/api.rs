//! The `xinfang.jointmeeting.v1.JointMeetingService` gRPC API. A caller sees the meetings its
//! unit convened or sits in, and those of its region; every change goes through the unit of
//! work with the domain's `Meeting`.

use crate::entity::{item, meeting};
use crate::error::MeetingError;
use crate::repository::{MeetingRepository, meeting_from_row};
use crate::roster::{self, RosterRepository};
use crate::{minutes, wire};
use chrono::Datelike;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tonic::{Request, Response, Status};
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::meeting::{Decision, Meeting, MeetingCommand, MeetingContext, NewItem};
use xinfang_domain::roster::{Roster, RosterCommand, RosterContext};
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::{Caller, caller};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::pii::PiiVault;
use xinfang_platform::policy::{Holders, Scope};
use xinfang_platform::public_calls::PublicLimits;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::convert::measure_from_wire;
use xinfang_proto::xinfang::jointmeeting::v1 as jm;
use xinfang_proto::xinfang::jointmeeting::v1::joint_meeting_service_server::JointMeetingService;
use xinfang_store::Repository;
use xinfang_store::{Meta, UnitOfWork};

#[derive(Clone)]
pub struct JointMeetingApi {
    pub uow: UnitOfWork,
    pub reference: ReferenceStore,
    pub clock: NodeClock,
    /// Seals a booking's phone number.
    pub vault: PiiVault,
    /// Limits the public's bookings.
    pub public: PublicLimits,
}

fn reply<T>(result: Result<T, MeetingError>) -> Result<Response<T>, Status> {
    result.map(Response::new).map_err(Into::into)
}

pub(crate) fn required(field: &str, value: &str) -> Result<String, MeetingError> {
    match value.trim() {
        "" => Err(MeetingError::field(field, "required")),
        v => Ok(v.to_owned()),
    }
}

pub(crate) fn day(field: &str, value: &str) -> Result<chrono::NaiveDate, MeetingError> {
    Ok(xinfang_domain::field::day(field, value).map_err(Refusal::from)?)
}

pub(crate) fn not_found_as(message: &str) -> MeetingError {
    MeetingError::Refused(Refusal::new(Reason::NotFound, message))
}

fn not_found() -> MeetingError {
    not_found_as("no such meeting in the caller's scope")
}

impl JointMeetingApi {
    /// Whether the caller's scope sees `m`: its unit convened or sits in it, or its region
    /// holds the convener.
    fn sees(&self, caller: &Caller, m: &Meeting) -> Result<bool, MeetingError> {
        let reference = self.reference.current();
        let scope = Scope::of(&reference.org, caller)?;
        let region = reference
            .org
            .unit(&m.convener)
            .map_or("", |u| u.region.as_str());
        let units = std::iter::once(m.convener.as_str())
            .chain(m.members.iter().map(String::as_str))
            .collect();
        Ok(scope.sees(&Holders {
            regions: vec![region],
            units,
        }))
    }

    async fn visible(&self, caller: &Caller, id: &str) -> Result<Meeting, MeetingError> {
        let id = required("meeting_id", id)?;
        let row = meeting::Entity::find_by_id(id).one(self.uow.db()).await?;
        let m = row
            .map(meeting_from_row)
            .transpose()?
            .ok_or_else(not_found)?;
        if self.sees(caller, &m.state)? {
            Ok(m.state)
        } else {
            Err(not_found())
        }
    }

    /// Decides `command` on meeting `id` for the caller and saves it.
    async fn change(
        &self,
        caller: &Caller,
        id: &str,
        command: MeetingCommand,
    ) -> Result<Meeting, MeetingError> {
        let reference = self.reference.current();
        let meta = Meta::of(caller, self.clock.now());
        let ctx = MeetingContext {
            org: &reference.org,
            today: self.clock.date_of(meta.at),
            unit: &caller.org_unit,
        };
        let saved = self
            .uow
            .execute(&MeetingRepository, id, &meta, |state| {
                Meeting::decide(state, command.clone(), &ctx)
            })
            .await?;
        saved.state.ok_or_else(not_found)
    }

    async fn convene(
        &self,
        caller: &Caller,
        r: jm::ConveneMeetingRequest,
    ) -> Result<Identified, MeetingError> {
        let command = MeetingCommand::Convene {
            title: required("title", &r.title)?,
            held_on: day("held_date", &r.held_date)?,
            members: r
                .member_organ_codes
                .iter()
                .map(|m| m.trim().to_owned())
                .collect(),
        };
        let id = uuid::Uuid::now_v7().to_string();
        let m = self.change(caller, &id, command).await?;
        Ok((id, m))
    }

    async fn add_items(
        &self,
        caller: &Caller,
        r: jm::AddAgendaItemsRequest,
    ) -> Result<Identified, MeetingError> {
        self.visible(caller, &r.meeting_id).await?;
        let mut items = Vec::with_capacity(r.items.len());
        for (i, new) in r.items.iter().enumerate() {
            let field = format!("items[{i}].petition_id");
            let id = required(&field, &new.petition_id)?;
            let known = item::Entity::find_by_id(id.clone())
                .one(self.uow.db())
                .await?
                .ok_or_else(|| {
                    MeetingError::Refused(
                        Refusal::new(Reason::NotFound, format!("no item {id} in this node"))
                            .at(&field),
                    )
                })?;
            items.push(NewItem {
                petition_id: id,
                case_number: known.case_number,
                disputing: new.disputing_organ_codes.clone(),
            });
        }
        let m = self
            .change(caller, r.meeting_id.trim(), MeetingCommand::AddItems(items))
            .await?;
        Ok((r.meeting_id.trim().to_owned(), m))
    }

    async fn decide(
        &self,
        caller: &Caller,
        r: jm::RecordDecisionRequest,
    ) -> Result<Identified, MeetingError> {
        self.visible(caller, &r.meeting_id).await?;
        let d = r
            .decision
            .ok_or_else(|| MeetingError::field("decision", "required"))?;
        let mut measures = Vec::with_capacity(d.measures.len());
        for (i, m) in d.measures.iter().enumerate() {
            measures.push(measure_from_wire(*m).ok_or_else(|| {
                MeetingError::field(
                    &format!("decision.measures[{i}]"),
                    format!("unknown measure {m}"),
                )
            })?);
        }
        let command = MeetingCommand::Decide {
            petition_id: required("petition_id", &r.petition_id)?,
            decision: Decision {
                lead: required("decision.lead_organ_code", &d.lead_organ_code)?,
                cooperating: d.cooperating_organ_codes.clone(),
                measures,
                deadline: day("decision.deadline", &d.deadline)?,
                text: required("decision.text", &d.text)?,
            },
        };
        let m = self.change(caller, r.meeting_id.trim(), command).await?;
        Ok((r.meeting_id.trim().to_owned(), m))
    }
}

/// A meeting and its id.
type Identified = (String, Meeting);

fn shown(result: Result<Identified, MeetingError>) -> Result<Response<jm::Meeting>, Status> {
    reply(result.map(|(id, m)| wire::meeting(&id, &m)))
}

#[tonic::async_trait]
impl JointMeetingService for JointMeetingApi {
    async fn convene_meeting(
        &self,
        request: Request<jm::ConveneMeetingRequest>,
    ) -> Result<Response<jm::Meeting>, Status> {
        let caller = caller(&request)?;
        shown(self.convene(&caller, request.into_inner()).await)
    }

    async fn add_agenda_items(
        &self,
        request: Request<jm::AddAgendaItemsRequest>,
    ) -> Result<Response<jm::Meeting>, Status> {
        let caller = caller(&request)?;
        shown(self.add_items(&caller, request.into_inner()).await)
    }

    async fn record_decision(
        &self,
        request: Request<jm::RecordDecisionRequest>,
    ) -> Result<Response<jm::Meeting>, Status> {
        let caller = caller(&request)?;
        shown(self.decide(&caller, request.into_inner()).await)
    }

    async fn record_follow_up(
        &self,
        request: Request<jm::RecordFollowUpRequest>,
    ) -> Result<Response<jm::Meeting>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            self.visible(&caller, &r.meeting_id).await?;
            let command = MeetingCommand::FollowUp {
                petition_id: required("petition_id", &r.petition_id)?,
                text: required("text", &r.text)?,
                at: self.clock.now(),
            };
            let id = r.meeting_id.trim().to_owned();
            let m = self.change(&caller, &id, command).await?;
            Ok((id, m))
        };
        shown(result.await)
    }

    async fn certify_resolution(
        &self,
        request: Request<jm::CertifyResolutionRequest>,
    ) -> Result<Response<jm::Meeting>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            self.visible(&caller, &r.meeting_id).await?;
            let command = MeetingCommand::CertifyResolution {
                petition_id: required("petition_id", &r.petition_id)?,
            };
            let id = r.meeting_id.trim().to_owned();
            let m = self.change(&caller, &id, command).await?;
            Ok((id, m))
        };
        shown(result.await)
    }

    async fn get_meeting(
        &self,
        request: Request<jm::GetMeetingRequest>,
    ) -> Result<Response<jm::Meeting>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            let m = self.visible(&caller, &r.meeting_id).await?;
            Ok((r.meeting_id.trim().to_owned(), m))
        };
        shown(result.await)
    }

    async fn list_meetings(
        &self,
        request: Request<jm::ListMeetingsRequest>,
    ) -> Result<Response<jm::ListMeetingsResponse>, Status> {
        let caller = caller(&request)?;
        let year = request.into_inner().year;
        let result = async {
            let mut query = meeting::Entity::find();
            if year != 0 {
                query = query.filter(meeting::Column::HeldOn.starts_with(format!("{year}-")));
            }
            let rows = query
                .order_by_asc(meeting::Column::HeldOn)
                .order_by_asc(meeting::Column::Id)
                .all(self.uow.db())
                .await?;
            let mut seen = Vec::new();
            for row in rows {
                let id = row.id.clone();
                let m = meeting_from_row(row)?.state;
                if self.sees(&caller, &m)? {
                    seen.push((id, m));
                }
            }
            Ok(jm::ListMeetingsResponse {
                figures: Some(wire::figures(seen.iter().map(|(_, m)| m))),
                meetings: seen.iter().map(|(id, m)| wire::meeting(id, m)).collect(),
            })
        };
        reply(result.await)
    }

    async fn export_minutes(
        &self,
        request: Request<jm::GetMeetingRequest>,
    ) -> Result<Response<jm::Minutes>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            let m = self.visible(&caller, &r.meeting_id).await?;
            let content = minutes::docx(&m, &self.reference.current().org)?;
            Ok(jm::Minutes {
                file_name: format!("联席会议纪要-{}.docx", m.held_on),
                media_type: minutes::MEDIA_TYPE.to_owned(),
                content,
            })
        };
        reply(result.await)
    }

    async fn publish_roster(
        &self,
        request: Request<jm::PublishRosterRequest>,
    ) -> Result<Response<jm::Roster>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            let mut weeks = Vec::with_capacity(r.weeks.len());
            for (i, w) in r.weeks.iter().enumerate() {
                let week = day(&format!("weeks[{i}].week_start"), &w.week_start)?;
                weeks.push((week, w.organ_codes.clone()));
            }
            let command = RosterCommand::Publish {
                year: r.year,
                weeks,
            };
            self.change_roster(&caller, r.year, command).await
        };
        reply(result.await)
    }

    async fn swap_duty(
        &self,
        request: Request<jm::SwapDutyRequest>,
    ) -> Result<Response<jm::Roster>, Status> {
        let caller = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            let week = day("week_start", &r.week_start)?;
            let command = RosterCommand::Swap {
                week,
                from: required("from_organ_code", &r.from_organ_code)?,
                to: required("to_organ_code", &r.to_organ_code)?,
                reason: required("reason", &r.reason)?,
            };
            self.change_roster(&caller, week.year(), command).await
        };
        reply(result.await)
    }

    async fn get_roster(
        &self,
        request: Request<jm::GetRosterRequest>,
    ) -> Result<Response<jm::Roster>, Status> {
        let asker = caller(&request)?;
        let r = request.into_inner();
        let result = async {
            let office = match r.office_code.trim() {
                "" => asker.org_unit.clone(),
                code => code.to_owned(),
            };
            let on = match r.date.trim() {
                "" => self.clock.today(),
                d => day("date", d)?,
            };
            let found = RosterRepository
                .load(self.uow.db(), &roster::id(&office, on.year()))
                .await?
                .ok_or_else(|| {
                    MeetingError::Refused(Refusal::new(
                        Reason::NotFound,
                        format!("{office} has published no roster for {}", on.year()),
                    ))
                })?;
            Ok(roster::wire(&found.state, on))
        };
        reply(result.await)
    }

    async fn publish_reception_day(
        &self,
        request: Request<jm::PublishReceptionDayRequest>,
    ) -> Result<Response<jm::ReceptionDay>, Status> {
        let caller = caller(&request)?;
        reply(self.publish_reception(&caller, request.into_inner()).await)
    }

    async fn list_reception_calendar(
        &self,
        request: Request<jm::ListReceptionCalendarRequest>,
    ) -> Result<Response<jm::ListReceptionCalendarResponse>, Status> {
        let caller = request.extensions().get::<Caller>().cloned();
        if caller.is_none() {
            self.public
                .check(&self.public.tracking(self.public.address(&request)))
                .await?;
        }
        reply(
            self.reception_calendar(caller.as_ref(), request.into_inner())
                .await,
        )
    }

    async fn book_reception(
        &self,
        request: Request<jm::BookReceptionRequest>,
    ) -> Result<Response<jm::Booking>, Status> {
        let caller = request.extensions().get::<Caller>().cloned();
        if caller.is_none() {
            self.public
                .check(&self.public.booking(self.public.address(&request)))
                .await?;
        }
        reply(self.book(caller.as_ref(), request.into_inner()).await)
    }

    async fn get_reception_day(
        &self,
        request: Request<jm::GetReceptionDayRequest>,
    ) -> Result<Response<jm::ReceptionDay>, Status> {
        let caller = caller(&request)?;
        reply(self.reception_day_view(&caller, request.into_inner()).await)
    }

    async fn record_reception(
        &self,
        request: Request<jm::RecordReceptionRequest>,
    ) -> Result<Response<jm::ReceptionDay>, Status> {
        let caller = caller(&request)?;
        reply(self.receive(&caller, request.into_inner()).await)
    }
}

impl JointMeetingApi {
    /// Decides `command` on the caller's office roster of `year` and saves it.
    async fn change_roster(
        &self,
        caller: &Caller,
        year: i32,
        command: RosterCommand,
    ) -> Result<jm::Roster, MeetingError> {
        let reference = self.reference.current();
        let meta = Meta::of(caller, self.clock.now());
        let ctx = RosterContext {
            org: &reference.org,
            today: self.clock.date_of(meta.at),
            unit: &caller.org_unit,
        };
        let id = roster::id(&caller.org_unit, year);
        let saved = self
            .uow
            .execute(&RosterRepository, &id, &meta, |state| {
                Roster::decide(state, command.clone(), &ctx)
            })
            .await?;
        let roster = saved.state.ok_or_else(not_found)?;
        Ok(roster::wire(&roster, ctx.today))
    }
}
