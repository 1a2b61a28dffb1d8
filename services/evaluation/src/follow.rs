//! Following intake and dispatch: a registration tells the item's region, units, category, query
//! code (as its hash) and matter; an answer opens the petitioner's evaluation and windows, with
//! the SMS of its one-time token — all in the transaction of the event's inbox row. On a node
//! linked to the province, a holiday calendar or the organisation the exchange announces is laid
//! over the reference data and kept, so windows and review deadlines count with the province's
//! 调休.

use crate::SERVICE;
use crate::desk::{Change, Desk};
use crate::tokens;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DatabaseTransaction;
use xinfang_domain::evaluation::{ItemCommand, Opinioned, Registration};
use xinfang_events::consumer::{EventHandler, HandlerError};
use xinfang_events::{Envelope, Payload};
use xinfang_proto::convert::{opinion_from_wire, route_from_wire};
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::{Meta, reference_updates};

pub struct Follower {
    pub desk: Desk,
}

fn permanent(message: impl Into<String>) -> HandlerError {
    HandlerError::Permanent(message.into())
}

impl EventHandler for Follower {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let reference = &self.desk.reference;
        if reference_updates::follow(txn, SERVICE, reference, envelope.payload.as_ref()).await? {
            return Ok(());
        }
        let (command, token) = match &envelope.payload {
            Some(Payload::PetitionRegistered(e)) => (
                ItemCommand::Register(Registration {
                    case_number: e.case_number.clone(),
                    region: e.region_code.clone(),
                    registering_unit: e.registering_unit.clone(),
                    category: e.content_category.clone(),
                    query_code_hash: e.query_code_hash.clone(),
                    matter_key: e.matter_key.clone(),
                }),
                None,
            ),
            Some(Payload::CaseAnswered(e)) => {
                let on = NaiveDate::parse_from_str(&e.answered_date, "%Y-%m-%d")
                    .map_err(|_| permanent(format!("answered date {:?}", e.answered_date)))?;
                let opinion = pb::HandlingOpinion::try_from(e.opinion)
                    .ok()
                    .and_then(opinion_from_wire)
                    .ok_or_else(|| permanent(format!("an answer with opinion {}", e.opinion)))?;
                let (token, token_hash) = tokens::issue();
                (
                    ItemCommand::Answer {
                        opinion: Opinioned {
                            organ: e.organ_code.clone(),
                            opinion,
                            text: e.text.clone(),
                            on,
                        },
                        token_hash,
                    },
                    Some(token),
                )
            }
            Some(Payload::CaseTriaged(e)) if e.state == pb::PetitionState::Redirected as i32 => {
                let route = pb::StatutoryRoute::try_from(e.route)
                    .ok()
                    .and_then(route_from_wire)
                    .map_or("法定", |r| r.label());
                (
                    ItemCommand::Redirect {
                        route: route.to_owned(),
                    },
                    None,
                )
            }
            _ => return Ok(()),
        };
        let at = envelope
            .occurred_at
            .as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .ok_or_else(|| permanent("an event without its time"))?;
        let meta = Meta::from_actor(envelope.actor.as_ref(), at);
        self.desk
            .apply(
                txn,
                &Change {
                    petition_id: &envelope.petition_id,
                    meta: &meta,
                    unit: &meta.unit,
                    command,
                    token,
                },
            )
            .await?;
        Ok(())
    }
}
