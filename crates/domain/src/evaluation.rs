//! After the answer (domain.md, Lifecycle and Supporting workflows): the petitioner's
//! satisfaction evaluation (满意度评价) of each opinion, the revisit (回访) a 不满意 opens, the
//! review (复查) and re-examination (复核) one level up each (Art. 35) with hearings (听证) whose
//! days do not count, termination (终结, Art. 36) and closing (办结) when a window passes unused.
//!
//! One aggregate per item, kept by the evaluation service. Requests the law does not allow (late,
//! to the wrong level, repeated) are not refusals but recorded non-acceptance notices
//! (不予受理告知): the petitioner is owed one.

use crate::aggregate::Aggregate;
use crate::case::Opinion;
use crate::clock::{Calendar, Deadline, Limit, Limits, Pause, due_date};
use crate::lifecycle::State;
use crate::reference::{OrgTree, OrgUnit, ReferenceData};
use crate::{Reason, Refusal};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// Whose opinion is evaluated or contested: the answer (处理意见), the review (复查意见) or the
/// re-examination (复核意见).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Answer,
    Review,
    ReExamination,
}

impl Stage {
    pub fn label(self) -> &'static str {
        match self {
            Stage::Answer => "处理意见",
            Stage::Review => "复查",
            Stage::ReExamination => "复核",
        }
    }

    /// The opinion this stage gives (处理意见, 复查意见, 复核意见).
    pub fn opinion_label(self) -> &'static str {
        match self {
            Stage::Answer => "处理意见",
            Stage::Review => "复查意见",
            Stage::ReExamination => "复核意见",
        }
    }

    /// The name rows and audit details keep a stage by.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Answer => "answer",
            Stage::Review => "review",
            Stage::ReExamination => "re_examination",
        }
    }
}

/// 满意 / 基本满意 / 不满意.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub fn label(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "满意",
            Satisfaction::BasicallySatisfied => "基本满意",
            Satisfaction::Dissatisfied => "不满意",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Phone,
    Web,
    Kiosk,
}

/// What intake registered of the item, as its event tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub case_number: String,
    pub region: String,
    pub registering_unit: String,
    pub category: String,
    /// Intake's keyed hash of the query code.
    pub query_code_hash: String,
    pub matter_key: String,
}

/// An opinion given by an organ on a day: the answer, or a review's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opinioned {
    pub organ: String,
    pub opinion: Opinion,
    pub text: String,
    pub on: NaiveDate,
}

/// A proxy entry (代评): who entered the evaluation for the petitioner, and their unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proxy {
    pub name: String,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    pub stage: Stage,
    /// Of the petition office (信访部门).
    pub department: Satisfaction,
    /// Of the handling organ (责任单位).
    pub organ: Satisfaction,
    pub comment: String,
    pub channel: Channel,
    pub proxy: Option<Proxy>,
    pub at: DateTime<Utc>,
}

impl Evaluation {
    pub fn dissatisfied(&self) -> bool {
        self.department == Satisfaction::Dissatisfied || self.organ == Satisfaction::Dissatisfied
    }

    /// Counts into 满意率: 满意 or 基本满意 for the handling organ.
    pub fn satisfied(&self) -> bool {
        self.organ != Satisfaction::Dissatisfied
    }
}

/// 回访: the organ whose opinion was not satisfying visits the petitioner by `due`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revisit {
    pub stage: Stage,
    pub organ: String,
    pub due: NaiveDate,
    pub record: Option<RevisitRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevisitRecord {
    pub text: String,
    /// 不满意原因分析.
    pub analysis: String,
    pub outcome: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hearing {
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub place: String,
    pub participants: Vec<String>,
    pub record: String,
}

/// A request for 复查 or 复核: accepted with the decision's deadline, or answered with a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// `Review` or `ReExamination`.
    pub stage: Stage,
    /// The organ the law names (one level above the opinion reviewed), if this node has it.
    pub organ: String,
    pub requested_on: NaiveDate,
    pub reason: String,
    pub outcome: ReviewOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    /// 不予受理告知.
    NotAccepted { notice: String },
    Accepted {
        deadline: Deadline,
        hearings: Vec<Hearing>,
        decision: Option<Opinioned>,
        /// After a hearing the opinion may be published.
        publish: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Termination {
    pub on: NaiveDate,
    pub reason: String,
}

/// 抽查: a unit above checks a terminated item and records what it found and what was corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpotCheck {
    pub on: NaiveDate,
    pub unit: String,
    pub findings: String,
    pub corrections: String,
}

/// 报省评议: the item is reported to the province for evaluation, through the exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvinceReport {
    pub on: NaiveDate,
    pub reason: String,
}

/// A one-time evaluation token: its SHA-256, and the stage it opens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub stage: Stage,
    pub hash: String,
}

/// Everything after an item's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Item {
    pub registration: Option<Registration>,
    pub answer: Option<Opinioned>,
    pub evaluations: Vec<Evaluation>,
    pub tokens: Vec<Token>,
    pub revisits: Vec<Revisit>,
    pub reviews: Vec<Review>,
    pub terminated: Option<Termination>,
    pub closed_on: Option<NaiveDate>,
    /// Redirected to a statutory route (法定途径) instead of answered: no review on this track.
    #[serde(default)]
    pub redirected: Option<String>,
    #[serde(default)]
    pub spot_checks: Vec<SpotCheck>,
    #[serde(default)]
    pub province_report: Option<ProvinceReport>,
}

/// Who evaluates: the citizen with the token of the SMS link (the service checked the query
/// code against the registration), or a proxy entering it for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluator {
    Citizen { token_hash: String },
    Proxy(Proxy),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub department: Satisfaction,
    pub organ: Satisfaction,
    pub comment: String,
    pub channel: Channel,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemCommand {
    /// Intake registered the item.
    Register(Registration),
    /// Dispatch redirected it to a statutory route (its name).
    Redirect {
        route: String,
    },
    /// Dispatch answered it; `token_hash` opens the answer's evaluation.
    Answer {
        opinion: Opinioned,
        token_hash: String,
    },
    Evaluate {
        by: Evaluator,
        verdict: Verdict,
        at: DateTime<Utc>,
    },
    RecordRevisit {
        text: String,
        analysis: String,
        outcome: String,
        at: DateTime<Utc>,
    },
    /// A request for 复查 (`Review`) or 复核 (`ReExamination`); `addressed` is the organ the
    /// petitioner turned to, if they named one.
    Request {
        stage: Stage,
        reason: String,
        addressed: Option<String>,
    },
    Decide {
        stage: Stage,
        opinion: Opinion,
        text: String,
        publish: bool,
        token_hash: String,
    },
    ScheduleHearing {
        start: NaiveDate,
        place: String,
        participants: Vec<String>,
    },
    EndHearing {
        end: NaiveDate,
        record: String,
    },
    Terminate {
        reason: String,
    },
    SpotCheck {
        findings: String,
        corrections: String,
    },
    ReportToProvince {
        reason: String,
    },
    /// The watcher's look: a window passed with no request closes the item (办结).
    Check,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemEvent {
    Registered(Registration),
    Redirected {
        route: String,
    },
    Answered {
        opinion: Opinioned,
        token_hash: String,
    },
    Evaluated(Evaluation),
    RevisitOpened(Revisit),
    RevisitRecorded(RevisitRecord),
    Requested(Review),
    Decided {
        stage: Stage,
        decision: Opinioned,
        publish: bool,
        token_hash: String,
    },
    HearingScheduled(Hearing),
    HearingEnded {
        end: NaiveDate,
        record: String,
        /// The decision's deadline moved on by the hearing's days.
        deadline: Deadline,
    },
    Terminated(Termination),
    SpotChecked(SpotCheck),
    ReportedToProvince(ProvinceReport),
    Closed {
        on: NaiveDate,
    },
}

/// What a decision consults: the limits, the calendar and organisation tree, today, and the
/// unit that acts.
pub struct ItemContext<'a> {
    pub limits: &'a Limits,
    pub reference: &'a ReferenceData,
    pub today: NaiveDate,
    pub unit: &'a str,
}

/// The organ one level above `organ` for a matter of `category` (Art. 35): the most local organ
/// competent for it whose region contains `organ`'s and lies a level higher, else the nearest
/// unit above `organ` at a higher level. None when that organ is not in this node (the
/// province's).
pub fn reviewing_organ<'o>(org: &'o OrgTree, organ: &str, category: &str) -> Option<&'o OrgUnit> {
    let unit = org.unit(organ)?;
    let level = unit.level();
    org.competent_units(&unit.region, category)
        .into_iter()
        .find(|u| u.level() < level)
        .or_else(|| {
            org.chain(organ)
                .into_iter()
                .skip(1)
                .find(|u| u.level() < level)
        })
}

fn illegal(message: impl Into<String>) -> Refusal {
    Refusal::new(Reason::IllegalTransition, message)
}

impl Item {
    /// The newest opinion: the answer, or the last decided review.
    pub fn stage(&self) -> Stage {
        self.decided().last().map_or(Stage::Answer, |(s, _)| *s)
    }

    fn decided(&self) -> Vec<(Stage, &Opinioned)> {
        self.reviews
            .iter()
            .filter_map(|r| match &r.outcome {
                ReviewOutcome::Accepted {
                    decision: Some(d), ..
                } => Some((r.stage, d)),
                _ => None,
            })
            .collect()
    }

    /// The newest opinion, and the stage it closes.
    pub fn newest_opinion(&self) -> Option<(Stage, &Opinioned)> {
        self.decided()
            .last()
            .copied()
            .or_else(|| self.answer.as_ref().map(|a| (Stage::Answer, a)))
    }

    /// The accepted request still waiting for its decision.
    pub fn pending(&self) -> Option<&Review> {
        self.reviews
            .iter()
            .find(|r| matches!(r.outcome, ReviewOutcome::Accepted { decision: None, .. }))
    }

    fn pending_mut(&mut self) -> Option<&mut Review> {
        self.reviews
            .iter_mut()
            .find(|r| matches!(r.outcome, ReviewOutcome::Accepted { decision: None, .. }))
    }

    pub fn evaluation_of(&self, stage: Stage) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.stage == stage)
    }

    pub fn open_revisit(&self) -> Option<&Revisit> {
        self.revisits.iter().find(|r| r.record.is_none())
    }

    /// The window to evaluate the newest opinion (default 30 days from it).
    pub fn evaluation_window(&self, limits: &Limits, calendar: &Calendar) -> Option<Deadline> {
        let (_, opinion) = self.newest_opinion()?;
        due_date(calendar, &limits.evaluation_window, opinion.on, &[], 0).ok()
    }

    /// The next request the petitioner may make (复查 after the answer, 复核 after the review),
    /// with its window; None after 复核, or while a request is decided.
    pub fn request_window(&self, limits: &Limits) -> Option<(Stage, &Opinioned, Limit)> {
        if self.pending().is_some() || self.terminated.is_some() {
            return None;
        }
        match self.newest_opinion()? {
            (Stage::Answer, o) => Some((Stage::Review, o, limits.review_window.clone())),
            (Stage::Review, o) => Some((
                Stage::ReExamination,
                o,
                limits.re_examination_window.clone(),
            )),
            (Stage::ReExamination, _) => None,
        }
    }

    /// Where the item stands in the lifecycle.
    pub fn state(&self) -> Option<State> {
        self.answer.as_ref()?;
        Some(if self.terminated.is_some() {
            State::Terminated
        } else if self.closed_on.is_some() {
            State::Closed
        } else if let Some(p) = self.pending() {
            match p.stage {
                Stage::ReExamination => State::ReExamination,
                _ => State::Review,
            }
        } else {
            match self.stage() {
                Stage::Answer => State::Answered,
                Stage::Review => State::Reviewed,
                Stage::ReExamination => State::ReExamined,
            }
        })
    }

    /// The units that hold the item, for the scope policy: registering, answering, reviewing.
    pub fn units(&self) -> Vec<&str> {
        let mut units: Vec<&str> = self
            .registration
            .iter()
            .map(|r| r.registering_unit.as_str())
            .chain(self.answer.iter().map(|a| a.organ.as_str()))
            .chain(
                self.reviews
                    .iter()
                    .filter(|r| matches!(r.outcome, ReviewOutcome::Accepted { .. }))
                    .map(|r| r.organ.as_str()),
            )
            .filter(|u| !u.is_empty())
            .collect();
        units.dedup();
        units
    }

    /// The day the watcher should look again: the day after the request window ends.
    pub fn next_check(&self, limits: &Limits, calendar: &Calendar) -> Option<NaiveDate> {
        self.request_deadline(limits, calendar)?.due.succ_opt()
    }

    /// The window of the next request, counted (None once no request is left).
    pub fn request_deadline(&self, limits: &Limits, calendar: &Calendar) -> Option<Deadline> {
        if self.closed_on.is_some() {
            return None;
        }
        let (_, opinion, limit) = self.request_window(limits)?;
        due_date(calendar, &limit, opinion.on, &[], 0).ok()
    }

    fn evaluate(
        &self,
        by: Evaluator,
        verdict: Verdict,
        at: DateTime<Utc>,
        ctx: &ItemContext<'_>,
    ) -> Result<Vec<ItemEvent>, Refusal> {
        let (stage, opinion) = self.newest_opinion().ok_or_else(|| {
            Refusal::new(
                Reason::NotAnswered,
                "the item has no answer to evaluate yet",
            )
        })?;
        if let Evaluator::Citizen { token_hash } = &by {
            let opens = self
                .tokens
                .iter()
                .any(|t| t.stage == stage && &t.hash == token_hash);
            if !opens {
                return Err(Refusal::new(
                    Reason::BadEvaluationToken,
                    "this evaluation link is not the newest of the item: use the link of the last SMS",
                ));
            }
        }
        if self.evaluation_of(stage).is_some() {
            return Err(Refusal::new(
                Reason::AlreadyEvaluated,
                format!("the {} was evaluated already", stage.label()),
            ));
        }
        if let Some(window) = self.evaluation_window(ctx.limits, &ctx.reference.calendar)
            && ctx.today > window.due
        {
            return Err(Refusal::new(
                Reason::EvaluationWindowClosed,
                format!(
                    "the {} could be evaluated until {} (超期未评价)",
                    stage.label(),
                    window.due
                ),
            ));
        }
        let proxy = match by {
            Evaluator::Proxy(p) => Some(p),
            Evaluator::Citizen { .. } => None,
        };
        let evaluation = Evaluation {
            stage,
            department: verdict.department,
            organ: verdict.organ,
            comment: verdict.comment,
            channel: verdict.channel,
            proxy,
            at,
        };
        let dissatisfied = evaluation.dissatisfied();
        let mut events = vec![ItemEvent::Evaluated(evaluation)];
        if dissatisfied {
            let due = due_date(
                &ctx.reference.calendar,
                &ctx.limits.revisit,
                ctx.today,
                &[],
                0,
            )
            .map_err(|e| illegal(e.to_string()))?
            .due;
            events.push(ItemEvent::RevisitOpened(Revisit {
                stage,
                organ: opinion.organ.clone(),
                due,
                record: None,
            }));
        }
        Ok(events)
    }

    /// A request for the next step; a request the law does not allow gets its notice.
    fn request(
        &self,
        stage: Stage,
        reason: String,
        addressed: Option<String>,
        ctx: &ItemContext<'_>,
    ) -> Result<Vec<ItemEvent>, Refusal> {
        let answer = self
            .answer
            .as_ref()
            .ok_or_else(|| Refusal::new(Reason::NotAnswered, "the item has not been answered"))?;
        let (wanted, opinion_reviewed) = match stage {
            Stage::Review => (Stage::Answer, Some(answer)),
            Stage::ReExamination => (
                Stage::Review,
                self.decided()
                    .into_iter()
                    .find(|(s, _)| *s == Stage::Review)
                    .map(|(_, o)| o),
            ),
            Stage::Answer => return Err(Refusal::field("stage", "only 复查 or 复核 is requested")),
        };
        let organ = opinion_reviewed
            .and_then(|o| reviewing_organ(&ctx.reference.org, &o.organ, self.category()));
        let notice = self.notice(stage, wanted, opinion_reviewed, organ, &addressed, ctx);
        let organ_code = organ.map(|u| u.code.clone()).unwrap_or_default();
        let outcome = match notice {
            Some(notice) => ReviewOutcome::NotAccepted { notice },
            None => {
                let limit = match stage {
                    Stage::ReExamination => &ctx.limits.re_examination_decision,
                    _ => &ctx.limits.review_decision,
                };
                let deadline = due_date(&ctx.reference.calendar, limit, ctx.today, &[], 0)
                    .map_err(|e| illegal(e.to_string()))?;
                ReviewOutcome::Accepted {
                    deadline,
                    hearings: Vec::new(),
                    decision: None,
                    publish: false,
                }
            }
        };
        Ok(vec![ItemEvent::Requested(Review {
            stage,
            organ: organ_code,
            requested_on: ctx.today,
            reason,
            outcome,
        })])
    }

    /// Why a request cannot be accepted (Art. 35), if it cannot.
    fn notice(
        &self,
        stage: Stage,
        wanted: Stage,
        reviewed: Option<&Opinioned>,
        organ: Option<&OrgUnit>,
        addressed: &Option<String>,
        ctx: &ItemContext<'_>,
    ) -> Option<String> {
        let label = stage.label();
        if self.terminated.is_some() {
            return Some(format!("该事项已终结，{label}申请不予受理（第三十六条）"));
        }
        if let Some(p) = self.pending() {
            return Some(format!(
                "该事项正在{}中，{}申请不予受理",
                p.stage.label(),
                label
            ));
        }
        if self.decided().iter().any(|(s, _)| *s == stage) {
            return Some(match stage {
                Stage::Review => "该事项已经复查，不再复查；对复查意见不服的，可申请复核".into(),
                _ => "该事项已经复核，复核意见为最终意见，不予受理（第三十五条）".into(),
            });
        }
        let Some(reviewed) = reviewed.filter(|_| self.stage() == wanted) else {
            return Some(format!("{label}应在{}之后申请，不予受理", wanted.label()));
        };
        let window = match stage {
            Stage::ReExamination => &ctx.limits.re_examination_window,
            _ => &ctx.limits.review_window,
        };
        if let Ok(window) = due_date(&ctx.reference.calendar, window, reviewed.on, &[], 0)
            && ctx.today > window.due
        {
            return Some(format!(
                "{label}申请期限为收到{}之日起{}日，已于{}届满，不予受理（第三十五条）",
                wanted.label(),
                window.limit.days,
                window.due
            ));
        }
        let Some(organ) = organ else {
            return Some(format!(
                "{label}由上一级机关办理，该机关不在本级平台，请向其提出（第三十五条）"
            ));
        };
        match addressed {
            Some(a) if a != &organ.code => Some(format!(
                "{label}应向{}（{}）提出，本机关不予受理（第三十五条）",
                organ.name, organ.code
            )),
            _ => None,
        }
    }

    fn category(&self) -> &str {
        self.registration
            .as_ref()
            .map_or("", |r| r.category.as_str())
    }

    /// The caller's unit must be `organ` or a unit above it.
    fn acts_for(organ: &str, ctx: &ItemContext<'_>) -> Result<(), Refusal> {
        let chain = ctx.reference.org.chain(organ);
        if chain.iter().any(|u| u.code == ctx.unit) {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::NotResponsibleOrgan,
                format!("this step belongs to {organ}, not to {}", ctx.unit),
            ))
        }
    }

    fn pending_of(&self, stage: Option<Stage>) -> Result<&Review, Refusal> {
        self.pending()
            .filter(|p| stage.is_none_or(|s| s == p.stage))
            .ok_or_else(|| {
                illegal(match stage {
                    Some(s) => format!("no {} is waiting for its decision", s.label()),
                    None => "no review or re-examination is waiting for its decision".into(),
                })
            })
    }
}

fn hearings(review: &Review) -> &[Hearing] {
    match &review.outcome {
        ReviewOutcome::Accepted { hearings, .. } => hearings,
        ReviewOutcome::NotAccepted { .. } => &[],
    }
}

/// The days of the hearings that ended, as pauses of the clock.
pub fn pauses(hearings: &[Hearing]) -> Vec<Pause> {
    hearings
        .iter()
        .filter_map(|h| {
            h.end.map(|end| Pause {
                reason: "听证".into(),
                start: h.start,
                end,
            })
        })
        .collect()
}

impl Aggregate for Item {
    type Command = ItemCommand;
    type Event = ItemEvent;
    type Context<'a> = ItemContext<'a>;

    fn decide(
        state: Option<&Item>,
        command: ItemCommand,
        ctx: &ItemContext<'_>,
    ) -> Result<Vec<ItemEvent>, Refusal> {
        let (item, command) = match (state, command) {
            // Intake's and dispatch's events may come in either order: each makes the item.
            (Some(i), ItemCommand::Register(_)) if i.registration.is_some() => return Ok(vec![]),
            (_, ItemCommand::Register(r)) => return Ok(vec![ItemEvent::Registered(r)]),
            (Some(i), ItemCommand::Redirect { .. }) if i.redirected.is_some() => return Ok(vec![]),
            (_, ItemCommand::Redirect { route }) => {
                return Ok(vec![ItemEvent::Redirected { route }]);
            }
            (Some(i), ItemCommand::Answer { .. }) if i.answer.is_some() => return Ok(vec![]),
            (
                _,
                ItemCommand::Answer {
                    opinion,
                    token_hash,
                },
            ) => {
                return Ok(vec![ItemEvent::Answered {
                    opinion,
                    token_hash,
                }]);
            }
            (None, _) => {
                return Err(Refusal::new(
                    Reason::NotAnswered,
                    "the item has no answer yet",
                ));
            }
            (Some(item), command) => (item, command),
        };
        // A request about a redirected item is owed its notice, answer or not.
        if let (Some(route), ItemCommand::Request { stage, reason, .. }) =
            (&item.redirected, &command)
        {
            return Ok(vec![ItemEvent::Requested(Review {
                stage: *stage,
                organ: String::new(),
                requested_on: ctx.today,
                reason: reason.clone(),
                outcome: ReviewOutcome::NotAccepted {
                    notice: format!(
                        "该事项属于{route}途径处理的事项，已告知依法定途径解决，{}申请不予受理（第三十一条）",
                        stage.label()
                    ),
                },
            })]);
        }
        if item.answer.is_none() {
            return Err(Refusal::new(
                Reason::NotAnswered,
                "the item has no answer yet",
            ));
        }
        match command {
            ItemCommand::Register(_)
            | ItemCommand::Redirect { .. }
            | ItemCommand::Answer { .. } => unreachable!("decided above"),
            ItemCommand::Evaluate { by, verdict, at } => item.evaluate(by, verdict, at, ctx),
            ItemCommand::RecordRevisit {
                text,
                analysis,
                outcome,
                at,
            } => {
                let open = item.open_revisit().ok_or_else(|| {
                    Refusal::new(Reason::NoRevisitOpen, "no revisit is waiting for this item")
                })?;
                Item::acts_for(&open.organ, ctx)?;
                Ok(vec![ItemEvent::RevisitRecorded(RevisitRecord {
                    text,
                    analysis,
                    outcome,
                    at,
                })])
            }
            ItemCommand::Request {
                stage,
                reason,
                addressed,
            } => item.request(stage, reason, addressed, ctx),
            ItemCommand::Decide {
                stage,
                opinion,
                text,
                publish,
                token_hash,
            } => {
                let pending = item.pending_of(Some(stage))?;
                Item::acts_for(&pending.organ, ctx)?;
                if hearings(pending).iter().any(|h| h.end.is_none()) {
                    return Err(Refusal::new(
                        Reason::HearingRunning,
                        "a hearing is running: end it before the decision",
                    ));
                }
                Ok(vec![ItemEvent::Decided {
                    stage,
                    decision: Opinioned {
                        organ: pending.organ.clone(),
                        opinion,
                        text,
                        on: ctx.today,
                    },
                    publish,
                    token_hash,
                }])
            }
            ItemCommand::ScheduleHearing {
                start,
                place,
                participants,
            } => {
                let pending = item.pending_of(Some(Stage::ReExamination))?;
                Item::acts_for(&pending.organ, ctx)?;
                if hearings(pending).iter().any(|h| h.end.is_none()) {
                    return Err(Refusal::new(
                        Reason::HearingRunning,
                        "a hearing is running already",
                    ));
                }
                if start < pending.requested_on {
                    return Err(Refusal::field(
                        "start_date",
                        format!(
                            "a hearing starts after the request of {}",
                            pending.requested_on
                        ),
                    ));
                }
                Ok(vec![ItemEvent::HearingScheduled(Hearing {
                    start,
                    end: None,
                    place,
                    participants,
                    record: String::new(),
                })])
            }
            ItemCommand::EndHearing { end, record } => {
                let pending = item.pending_of(Some(Stage::ReExamination))?;
                Item::acts_for(&pending.organ, ctx)?;
                let running = hearings(pending)
                    .iter()
                    .find(|h| h.end.is_none())
                    .ok_or_else(|| {
                        Refusal::new(Reason::NoHearingRunning, "no hearing is running")
                    })?;
                if end < running.start {
                    return Err(Refusal::field(
                        "end_date",
                        format!("the hearing began on {}", running.start),
                    ));
                }
                let mut ended: Vec<Hearing> = hearings(pending).to_vec();
                if let Some(h) = ended.iter_mut().find(|h| h.end.is_none()) {
                    h.end = Some(end);
                }
                let ReviewOutcome::Accepted { deadline, .. } = &pending.outcome else {
                    unreachable!("a pending review was accepted");
                };
                let deadline = deadline
                    .recompute(&ctx.reference.calendar, &pauses(&ended))
                    .map_err(|e| illegal(e.to_string()))?;
                Ok(vec![ItemEvent::HearingEnded {
                    end,
                    record,
                    deadline,
                }])
            }
            ItemCommand::Terminate { reason } => {
                if item.terminated.is_some() {
                    return Ok(vec![]);
                }
                if item.stage() != Stage::ReExamination {
                    return Err(illegal(
                        "终结 follows the re-examination (复核) opinion (Art. 36)",
                    ));
                }
                Ok(vec![ItemEvent::Terminated(Termination {
                    on: ctx.today,
                    reason,
                })])
            }
            ItemCommand::SpotCheck {
                findings,
                corrections,
            } => {
                if item.terminated.is_none() {
                    return Err(illegal("抽查 looks at terminated (终结) items"));
                }
                Ok(vec![ItemEvent::SpotChecked(SpotCheck {
                    on: ctx.today,
                    unit: ctx.unit.to_owned(),
                    findings,
                    corrections,
                })])
            }
            ItemCommand::ReportToProvince { reason } => {
                if item.province_report.is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![ItemEvent::ReportedToProvince(ProvinceReport {
                    on: ctx.today,
                    reason,
                })])
            }
            ItemCommand::Check => Ok(match item.next_check(ctx.limits, &ctx.reference.calendar) {
                Some(day) if ctx.today >= day => vec![ItemEvent::Closed { on: ctx.today }],
                _ => vec![],
            }),
        }
    }

    fn evolve(state: Option<Item>, event: &ItemEvent) -> Option<Item> {
        let mut item = state.unwrap_or_default();
        match event.clone() {
            ItemEvent::Registered(r) => item.registration = Some(r),
            ItemEvent::Redirected { route } => item.redirected = Some(route),
            ItemEvent::Answered {
                opinion,
                token_hash,
            } => {
                item.answer = Some(opinion);
                item.tokens.push(Token {
                    stage: Stage::Answer,
                    hash: token_hash,
                });
            }
            ItemEvent::Evaluated(e) => item.evaluations.push(e),
            ItemEvent::RevisitOpened(r) => item.revisits.push(r),
            ItemEvent::RevisitRecorded(record) => {
                if let Some(r) = item.revisits.iter_mut().find(|r| r.record.is_none()) {
                    r.record = Some(record);
                }
            }
            ItemEvent::Requested(review) => item.reviews.push(review),
            ItemEvent::Decided {
                stage,
                decision: d,
                publish: p,
                token_hash,
            } => {
                if let Some(Review {
                    outcome:
                        ReviewOutcome::Accepted {
                            decision, publish, ..
                        },
                    ..
                }) = item.pending_mut()
                {
                    *decision = Some(d);
                    *publish = p;
                }
                item.tokens.push(Token {
                    stage,
                    hash: token_hash,
                });
            }
            ItemEvent::HearingScheduled(h) => {
                if let Some(Review {
                    outcome: ReviewOutcome::Accepted { hearings, .. },
                    ..
                }) = item.pending_mut()
                {
                    hearings.push(h);
                }
            }
            ItemEvent::HearingEnded {
                end,
                record,
                deadline: new,
            } => {
                if let Some(Review {
                    outcome:
                        ReviewOutcome::Accepted {
                            hearings, deadline, ..
                        },
                    ..
                }) = item.pending_mut()
                {
                    if let Some(h) = hearings.iter_mut().find(|h| h.end.is_none()) {
                        h.end = Some(end);
                        h.record = record;
                    }
                    *deadline = new;
                }
            }
            ItemEvent::Terminated(t) => item.terminated = Some(t),
            ItemEvent::SpotChecked(c) => item.spot_checks.push(c),
            ItemEvent::ReportedToProvince(r) => item.province_report = Some(r),
            ItemEvent::Closed { on } => item.closed_on = Some(on),
        }
        Some(item)
    }
}
