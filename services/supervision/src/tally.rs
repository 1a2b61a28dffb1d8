//! The annual report's tally: the countable facts other services announce about an item —
//! studied or resolved at a joint meeting (联席会议), received by a leader (领导接访), a review
//! (复查) or re-examination (复核) requested or decided, a 报省评议 mark, a people's suggestion
//! decided. A plain projection written in the transaction of the event's inbox row, one row per
//! fact, keyed so that a redelivered event adds nothing.

use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseTransaction, DbErr, EntityTrait, Set};
use xinfang_events::{Envelope, Payload};
use xinfang_proto::xinfang::dispatch::v1::SuggestionDecision;
use xinfang_proto::xinfang::evaluation::v1::Stage;
use xinfang_proto::xinfang::petition::v1::HandlingOpinion;

pub mod row {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "supervision_tally")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub petition_id: String,
        pub unit_code: String,
        pub on_date: String,
        pub detail: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a tally row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 研究事项: decided at a joint meeting (subject: the meeting; detail: the lead organ).
    Studied,
    /// 化解 of a joint meeting's item, certified (subject: the meeting).
    MeetingResolved,
    /// 领导接访 (subject: the reception day; detail: the leader).
    Received,
    /// 复查 / 复核 requested (detail: accepted or not_accepted).
    ReviewRequested,
    ReExaminationRequested,
    /// 复查 / 复核 decided (detail: the opinion).
    ReviewDecided,
    ReExaminationDecided,
    /// 报省评议.
    ProvinceMarked,
    /// 人民建议 decided (detail: adopted, partly_adopted, not_adopted).
    SuggestionDecided,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Studied => "studied",
            Kind::MeetingResolved => "meeting_resolved",
            Kind::Received => "received",
            Kind::ReviewRequested => "review_requested",
            Kind::ReExaminationRequested => "re_examination_requested",
            Kind::ReviewDecided => "review_decided",
            Kind::ReExaminationDecided => "re_examination_decided",
            Kind::ProvinceMarked => "province_marked",
            Kind::SuggestionDecided => "suggestion_decided",
        }
    }
}

/// One fact to tally.
struct Fact<'a> {
    kind: Kind,
    /// Empty: the event itself (a second request after a refused one counts as well).
    subject: &'a str,
    unit: &'a str,
    /// The day it counts on; the event's day when the event names none.
    on: Option<&'a str>,
    detail: &'a str,
}

fn opinion(value: i32) -> &'static str {
    match HandlingOpinion::try_from(value).unwrap_or_default() {
        HandlingOpinion::Support => "support",
        HandlingOpinion::Explain => "explain",
        HandlingOpinion::NotSupport => "not_support",
        HandlingOpinion::Unspecified => "unspecified",
    }
}

fn suggestion(value: i32) -> &'static str {
    match SuggestionDecision::try_from(value).unwrap_or_default() {
        SuggestionDecision::Adopted => "adopted",
        SuggestionDecision::PartlyAdopted => "partly_adopted",
        SuggestionDecision::NotAdopted => "not_adopted",
        SuggestionDecision::Unspecified => "unspecified",
    }
}

/// The tally fact an event tells, if any.
fn fact(payload: &Payload) -> Option<Fact<'_>> {
    let reviewing = |stage: i32, review: Kind, re_exam: Kind| match Stage::try_from(stage) {
        Ok(Stage::Review) => Some(review),
        Ok(Stage::ReExamination) => Some(re_exam),
        _ => None,
    };
    Some(match payload {
        Payload::MeetingDecisionRecorded(e) => Fact {
            kind: Kind::Studied,
            subject: &e.meeting_id,
            unit: &e.convener_organ_code,
            on: Some(&e.held_date),
            detail: &e.lead_organ_code,
        },
        Payload::MeetingItemResolved(e) => Fact {
            kind: Kind::MeetingResolved,
            subject: &e.meeting_id,
            unit: "",
            on: None,
            detail: &e.certified_by,
        },
        Payload::ReceptionRecorded(e) => Fact {
            kind: Kind::Received,
            subject: &e.reception_day_id,
            unit: &e.office_code,
            on: Some(&e.reception_date),
            detail: &e.leader_name,
        },
        Payload::ReviewRequested(e) => Fact {
            kind: reviewing(e.stage, Kind::ReviewRequested, Kind::ReExaminationRequested)?,
            subject: "",
            unit: &e.organ_code,
            on: None,
            detail: if e.accepted {
                "accepted"
            } else {
                "not_accepted"
            },
        },
        Payload::ReviewDecided(e) => Fact {
            kind: reviewing(e.stage, Kind::ReviewDecided, Kind::ReExaminationDecided)?,
            subject: "",
            unit: &e.organ_code,
            on: Some(&e.decided_date),
            detail: opinion(e.opinion),
        },
        Payload::ProvinceEvaluationMarked(e) => Fact {
            kind: Kind::ProvinceMarked,
            subject: "",
            unit: "",
            on: Some(&e.marked_date),
            detail: "",
        },
        Payload::SuggestionDecided(e) => Fact {
            kind: Kind::SuggestionDecided,
            subject: "",
            unit: "",
            on: None,
            detail: suggestion(e.decision),
        },
        _ => return None,
    })
}

/// Tallies what `envelope` tells (nothing for most events), counted on its day `occurred_on`
/// unless the event names a day of its own.
pub async fn record(
    txn: &DatabaseTransaction,
    envelope: &Envelope,
    payload: &Payload,
    occurred_on: NaiveDate,
) -> Result<(), DbErr> {
    let Some(f) = fact(payload) else {
        return Ok(());
    };
    let on = match f.on.filter(|d| !d.is_empty()) {
        Some(day) => day.to_owned(),
        None => occurred_on.to_string(),
    };
    row::Entity::insert(row::ActiveModel {
        kind: Set(f.kind.as_str().to_owned()),
        subject: Set(match f.subject {
            "" => envelope.event_id.clone(),
            subject => subject.to_owned(),
        }),
        petition_id: Set(envelope.petition_id.clone()),
        unit_code: Set(f.unit.to_owned()),
        on_date: Set(on),
        detail: Set(f.detail.to_owned()),
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
