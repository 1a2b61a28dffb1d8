//! Following intake: every registered item that is a new case enters the triage queue of the
//! unit that registered it, with its triage deadline (分流, 15 days from receipt).

use crate::entity::{case, step};
use crate::store::{self, SERVICE};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use xinfang_domain::clock::due_date;
use xinfang_events::consumer::EventHandler;
use xinfang_events::{Envelope, EventDraft, Payload};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::LimitSettings;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::xinfang::events::v1::CaseOpened;
use xinfang_proto::xinfang::petition::v1 as pb;

pub struct IntakeEvents {
    pub reference: ReferenceStore,
    pub limits: LimitSettings,
    pub clock: NodeClock,
    pub node: String,
}

impl EventHandler for IntakeEvents {
    async fn apply(&self, txn: &DatabaseTransaction, envelope: &Envelope) -> anyhow::Result<()> {
        let Some(Payload::PetitionRegistered(event)) = &envelope.payload else {
            return Ok(());
        };
        // Repeat items follow their original; terminated matters are not accepted again.
        if event.state != pb::PetitionState::Registered as i32 {
            return Ok(());
        }
        let reference = self.reference.current();
        let registered_at = event
            .registered_at
            .as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .unwrap_or_else(|| self.clock.now());
        let deadline = due_date(
            &reference.calendar,
            &self.limits.limit("triage"),
            self.clock.date_of(registered_at),
            &[],
            0,
        )?;
        let unit_region = reference
            .org
            .unit(&event.registering_unit)
            .map(|u| u.region.to_string())
            .unwrap_or_else(|| event.region_code.clone());
        let flag_mask = event
            .flags
            .iter()
            .filter_map(|f| pb::FlagKind::try_from(f.kind).ok())
            .filter_map(xinfang_proto::convert::flag_from_wire)
            .fold(0, |mask, kind| mask | kind.bit());
        let case = case::Model {
            petition_id: envelope.petition_id.clone(),
            case_number: event.case_number.clone(),
            kind: pb::ItemKind::try_from(event.kind)
                .unwrap_or_default()
                .as_str_name()
                .to_owned(),
            state: "registered".into(),
            first_handler_unit: event.registering_unit.clone(),
            first_handler_region: unit_region,
            triage_unit: event.registering_unit.clone(),
            region_code: event.region_code.clone(),
            content_category: event.content_category.clone(),
            channel_code: event.channel_code.clone(),
            flag_mask,
            responsible_organ: None,
            responsible_region: None,
            handler_user_id: None,
            routed_on: None,
            deadline: Some(serde_json::to_string(&deadline)?),
            due_date: Some(deadline.due.to_string()),
            extension_days: 0,
            extension_requested: None,
            extension_reason: None,
            opinion: None,
            report_back_date: None,
            registered_at,
            updated_at: registered_at,
        };
        if !store::insert_case(txn, case).await? {
            return Ok(());
        }
        let actor = envelope.actor.clone().unwrap_or_default();
        let step = step::Model {
            id: 0,
            petition_id: envelope.petition_id.clone(),
            action: "opened".into(),
            actor: actor.user_id,
            actor_unit: event.registering_unit.clone(),
            organ_code: event.registering_unit.clone(),
            destination: String::new(),
            reason: String::new(),
            text: "登记，进入分流".into(),
            occurred_at: registered_at,
            deadlines: serde_json::to_string(&[&deadline])?,
            public: false,
        };
        let opened = Payload::CaseOpened(CaseOpened {
            organ_code: event.registering_unit.clone(),
            triage_deadline: Some((&deadline).into()),
        });
        store::append(
            txn,
            &self.node,
            step,
            Some(EventDraft::new(
                &envelope.petition_id,
                opened,
                registered_at,
            )),
        )
        .await?;
        tracing::info!(service = SERVICE, petition = %envelope.petition_id, due = %deadline.due, "case opened for triage");
        Ok(())
    }
}
