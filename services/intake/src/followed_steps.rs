//! Following dispatch and evaluation: each public step of an item (转送, 交办, 受理告知, 延期告知,
//! 处理意见, 复查, 听证, 复核, 终结, ...) is kept for the petitioner's query-code view, and the
//! petition's state follows its case — a terminated (终结) matter is then not accepted again. On
//! a node linked to the province, the exchange too: each step another city reports of an item
//! transferred there (转有权处理地) is shown under that city's name (the item stays transferred
//! out), and a calendar or organisation the province sent is laid over the reference data.

use crate::repository::PetitionRepository;
use crate::store::SERVICE;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use xinfang_domain::aggregate::Aggregate;
use xinfang_domain::evaluation::{Satisfaction, Stage};
use xinfang_domain::lifecycle::State;
use xinfang_domain::petition::{Petition, PetitionCommand, PetitionContext, PublicStep};
use xinfang_domain::screening::Policy;
use xinfang_events::consumer::{EventHandler, HandlerError};
use xinfang_events::{Envelope, Payload};
use xinfang_platform::pii::PiiVault;
use xinfang_platform::reference::ReferenceStore;
use xinfang_proto::convert::{satisfaction_from_wire, stage_from_wire, state_from_wire};
use xinfang_proto::xinfang::petition::v1 as pb;
use xinfang_store::{Meta, UnitOfWork, reference_updates};

pub struct FollowedSteps {
    pub uow: UnitOfWork,
    pub vault: PiiVault,
    pub reference: ReferenceStore,
}

/// What the petitioner is told of one event, and the state it leaves the item in.
struct Told {
    kind: &'static str,
    title: String,
    /// A unit of this node, by code; another city's, by name.
    organ: String,
    text: String,
    state: Option<State>,
    /// The organ holding the item after the step (None: back with the triage unit).
    holder: Option<Option<String>>,
}

fn opinion_zh(opinion: i32) -> &'static str {
    match pb::HandlingOpinion::try_from(opinion).unwrap_or_default() {
        pb::HandlingOpinion::Support => "支持",
        pb::HandlingOpinion::Explain => "解释说明",
        pb::HandlingOpinion::NotSupport => "不予支持",
        pb::HandlingOpinion::Unspecified => "",
    }
}

fn satisfaction_zh(value: i32) -> &'static str {
    satisfaction_from_wire(value).map_or("", Satisfaction::label)
}

fn re_examination(stage: i32) -> bool {
    stage_from_wire(stage) == Some(Stage::ReExamination)
}

/// 复查 or 复核, by the evaluation stage.
fn review_stage(stage: i32) -> &'static str {
    stage_from_wire(stage).map_or("复查", Stage::label)
}

/// The day the next step is due by, where the event names the limit the petitioner is told of.
fn due_date(payload: &Payload) -> Option<String> {
    let deadline = match payload {
        Payload::CaseTriaged(e) => e.acceptance_deadline.as_ref(),
        Payload::CaseObjected(e) => e.triage_deadline.as_ref(),
        Payload::CaseAccepted(e) => e.handling_deadline.as_ref(),
        Payload::ExtensionDecided(e) if e.approved => e.handling_deadline.as_ref(),
        Payload::ClockResumed(e) => e.deadline.as_ref(),
        Payload::ReviewRequested(e) => e.decision_deadline.as_ref(),
        _ => None,
    }?;
    Some(deadline.due_date.clone()).filter(|d| !d.is_empty())
}

fn told(payload: &Payload) -> Option<Told> {
    let told = match payload {
        Payload::CaseTriaged(e) => {
            let state = pb::PetitionState::try_from(e.state)
                .ok()
                .and_then(state_from_wire);
            let (kind, title) = match state? {
                State::Forwarded => ("forwarded", "已转送"),
                State::Assigned => ("assigned", "已交办"),
                State::Redirected => ("redirected", "请通过法定途径解决"),
                State::NotAccepted => ("not_accepted", "不予受理"),
                State::Escalated => ("escalated", "已上报"),
                // Escalation inside the node: the petitioner sees nothing new yet.
                _ => return None,
            };
            let routed = matches!(state, Some(State::Forwarded | State::Assigned));
            Told {
                kind,
                title: title.into(),
                organ: e.organ_code.clone(),
                text: e.reason.clone(),
                state,
                holder: Some(routed.then(|| e.organ_code.clone())),
            }
        }
        Payload::CaseAccepted(e) => Told {
            kind: "accepted",
            title: "受理告知".into(),
            organ: e.organ_code.clone(),
            text: e.notice_text.clone(),
            state: Some(State::Accepted),
            holder: None,
        },
        Payload::CaseObjected(_) => Told {
            kind: "rerouted",
            title: "重新分流".into(),
            organ: String::new(),
            text: "承办机关提出异议，事项重新分流".into(),
            state: Some(State::Registered),
            holder: Some(None),
        },
        Payload::ExtensionDecided(e) if e.approved => Told {
            kind: "extension",
            title: "延期告知".into(),
            organ: String::new(),
            text: format!(
                "办理期限延长至 {}，理由：{}",
                e.handling_deadline
                    .as_ref()
                    .map(|d| d.due_date.as_str())
                    .unwrap_or_default(),
                e.reason
            ),
            state: None,
            holder: None,
        },
        Payload::CaseAnswered(e) => Told {
            kind: "answered",
            title: format!("处理意见（{}）", opinion_zh(e.opinion)),
            organ: e.organ_code.clone(),
            text: e.text.clone(),
            state: Some(State::Answered),
            holder: None,
        },
        Payload::SuggestionDecided(e) => Told {
            kind: "suggestion_decided",
            title: "建议办理结果".into(),
            organ: String::new(),
            text: e.reply.clone(),
            state: Some(State::Answered),
            holder: None,
        },
        Payload::CaseTransferred(e) if !e.to_node_region_code.is_empty() => Told {
            kind: "transferred_out",
            title: "转有权处理地".into(),
            organ: String::new(),
            text: e.reason.clone(),
            state: Some(State::TransferredOut),
            holder: None,
        },
        Payload::CaseTransferred(e) => Told {
            kind: "transferred",
            title: "转办".into(),
            organ: e.to_organ_code.clone(),
            text: e.reason.clone(),
            state: None,
            holder: Some(Some(e.to_organ_code.clone())),
        },
        Payload::ClockPaused(e) => Told {
            kind: "paused",
            title: "暂停计时".into(),
            organ: String::new(),
            text: format!("{}，自 {} 起期间不计入期限", e.reason, e.start_date),
            state: None,
            holder: None,
        },
        Payload::ClockResumed(e) if e.pause.is_some() => Told {
            kind: "resumed",
            title: "恢复计时".into(),
            organ: String::new(),
            text: format!(
                "期限顺延至 {}",
                e.deadline
                    .as_ref()
                    .map(|d| d.due_date.as_str())
                    .unwrap_or_default()
            ),
            state: None,
            holder: None,
        },
        Payload::ReviewRequested(e) => {
            let stage = review_stage(e.stage);
            let (title, text, state) = if e.accepted {
                (
                    format!("{stage}申请已受理"),
                    format!(
                        "{stage}期限至 {}",
                        e.decision_deadline
                            .as_ref()
                            .map(|d| d.due_date.as_str())
                            .unwrap_or_default()
                    ),
                    Some(if re_examination(e.stage) {
                        State::ReExamination
                    } else {
                        State::Review
                    }),
                )
            } else {
                (format!("{stage}申请不予受理"), e.notice.clone(), None)
            };
            Told {
                kind: if e.accepted {
                    "review_requested"
                } else {
                    "review_not_accepted"
                },
                title,
                organ: e.organ_code.clone(),
                text,
                state,
                holder: None,
            }
        }
        Payload::ReviewDecided(e) => Told {
            kind: "review_decided",
            title: format!("{}意见（{}）", review_stage(e.stage), opinion_zh(e.opinion)),
            organ: e.organ_code.clone(),
            text: e.text.clone(),
            state: Some(if re_examination(e.stage) {
                State::ReExamined
            } else {
                State::Reviewed
            }),
            holder: None,
        },
        Payload::EvaluationSubmitted(e) => Told {
            kind: "evaluated",
            title: format!(
                "满意度评价（{}）",
                stage_from_wire(e.stage).map_or("处理意见", Stage::opinion_label)
            ),
            organ: String::new(),
            text: format!(
                "信访部门：{}；责任单位：{}",
                satisfaction_zh(e.department),
                satisfaction_zh(e.handling_organ)
            ),
            state: None,
            holder: None,
        },
        Payload::HearingScheduled(e) => Told {
            kind: "hearing",
            title: "听证".into(),
            organ: String::new(),
            text: format!("听证自 {} 起举行，期间不计入复核期限", e.date),
            state: None,
            holder: None,
        },
        Payload::HearingEnded(e) => Told {
            kind: "hearing_ended",
            title: "听证结束".into(),
            organ: String::new(),
            text: format!(
                "听证 {} 至 {}，复核期限顺延至 {}",
                e.start_date,
                e.end_date,
                e.deadline
                    .as_ref()
                    .map(|d| d.due_date.as_str())
                    .unwrap_or_default()
            ),
            state: None,
            holder: None,
        },
        Payload::PetitionTerminated(e) => Told {
            kind: "terminated",
            title: "终结".into(),
            organ: String::new(),
            text: format!("{}；同一事实和理由不再受理（第三十六条）", e.reason),
            state: Some(State::Terminated),
            holder: None,
        },
        Payload::TransferredStepReceived(e) => Told {
            kind: "transferred_step",
            title: e.title.clone(),
            organ: e.node_name.clone(),
            text: e.text.clone(),
            state: None,
            holder: None,
        },
        Payload::PetitionClosed(e) => Told {
            kind: "closed",
            title: "办结".into(),
            organ: String::new(),
            text: e.reason.clone(),
            state: Some(State::Closed),
            holder: None,
        },
        _ => return None,
    };
    Some(told)
}

impl EventHandler for FollowedSteps {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        let reference = &self.reference;
        if reference_updates::follow(txn, SERVICE, reference, envelope.payload.as_ref()).await? {
            return Ok(());
        }
        let Some(payload) = envelope.payload.as_ref() else {
            return Ok(());
        };
        let Some(told) = told(payload) else {
            return Ok(());
        };
        let occurred_at = envelope
            .occurred_at
            .as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .ok_or_else(|| HandlerError::Permanent("an event without its time".into()))?;
        let organ_name = self
            .reference
            .current()
            .org
            .unit(&told.organ)
            .map_or(told.organ, |u| u.name.clone());
        let step = PublicStep {
            kind: told.kind.into(),
            title: told.title,
            organ_name,
            text: told.text,
            occurred_at,
            state: told.state,
            holder: told.holder,
            due_date: due_date(payload),
        };
        let policy = Policy::default();
        let ctx = PetitionContext {
            petitioner_keys: &[],
            priors: &[],
            category_route: None,
            policy: &policy,
        };
        let meta = Meta::from_actor(envelope.actor.as_ref(), occurred_at);
        let repo = PetitionRepository::new(&self.vault);
        self.uow
            .within(txn)
            .apply(&repo, &envelope.petition_id, &meta, |state| {
                Petition::decide(state, PetitionCommand::FollowCase(step.clone()), &ctx)
            })
            .await?;
        Ok(())
    }
}
