//! Following intake: every registered item that is a new case enters the triage queue of the
//! unit that registered it, with its triage deadline (分流, 15 days from receipt). On a node
//! linked to the province, following its exchange too: a holiday calendar or the organisation
//! the province sent down is kept and laid over the reference data, and the provisional
//! deadlines are counted again with a calendar (`Cases::follow_the_calendar`).

use crate::cases::Cases;
use crate::queues::SERVICE;
use crate::repository::CaseRepository;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use xinfang_domain::aggregate::{Actor, Aggregate};
use xinfang_domain::case::{Case, CaseCommand, Opening};
use xinfang_events::consumer::{EventHandler, HandlerError};
use xinfang_events::{Envelope, Payload};
use xinfang_proto::convert::{flag_from_wire, kind_from_wire};
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::{Meta, reference_updates};

pub struct IntakeEvents {
    pub cases: Cases,
}

fn time(ts: &Option<prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    ts.as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
}

impl EventHandler for IntakeEvents {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let reference = &self.cases.reference;
        if reference_updates::follow(txn, SERVICE, reference, envelope.payload.as_ref()).await? {
            return Ok(());
        }
        let Some(Payload::PetitionRegistered(event)) = &envelope.payload else {
            return Ok(());
        };
        // Repeat items follow their original; terminated matters are not accepted again.
        if event.state != pb::PetitionState::Registered as i32 {
            return Ok(());
        }
        let registered_at = time(&event.registered_at)
            .or_else(|| time(&envelope.occurred_at))
            .ok_or_else(|| HandlerError::Permanent("a registration without its time".into()))?;
        let opening = Opening {
            petition_id: envelope.petition_id.clone(),
            case_number: event.case_number.clone(),
            kind: kind_from_wire(pb::ItemKind::try_from(event.kind).unwrap_or_default()),
            registering_unit: event.registering_unit.clone(),
            region: event.region_code.clone(),
            category: event.content_category.clone(),
            channel: event.channel_code.clone(),
            flag_mask: event
                .flags
                .iter()
                .filter_map(|f| pb::FlagKind::try_from(f.kind).ok())
                .filter_map(flag_from_wire)
                .fold(0, |mask, kind| mask | kind.bit()),
            registered_at,
            registered_on: self.cases.clock.date_of(registered_at),
        };
        let reference = self.cases.reference.current();
        let actor = Actor::system(&event.registering_unit);
        let ctx = self
            .cases
            .context(&actor, &reference, self.cases.clock.today());
        let meta = Meta::from_actor(envelope.actor.as_ref(), registered_at);
        let saved = self
            .cases
            .uow
            .within(txn)
            .apply(&CaseRepository, &envelope.petition_id, &meta, |state| {
                Case::decide(state, CaseCommand::Open(opening.clone()), &ctx)
            })
            .await?;
        if let Some(case) = saved.state.filter(|_| !saved.events.is_empty()) {
            tracing::info!(petition = %envelope.petition_id, due = ?case.due(), "case opened for triage");
        }
        Ok(())
    }
}
