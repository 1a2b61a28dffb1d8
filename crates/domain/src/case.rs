//! 转送交办, 受理, 办理 — the case (dispatch's aggregate): one registered item from triage (分流)
//! through acceptance (受理) to the answer (处理意见), each step within its statutory limit
//! (domain.md, Lifecycle). Pure: the commands, the rules that refuse them, and the events.

use crate::aggregate::{Actor, Aggregate};
use crate::clock::{Calendar, Deadline, Extension, ExtensionError, Limit, Limits, Pause, due_date};
use crate::lifecycle::{Action, ItemKind, State, StatutoryRoute};
use crate::reference::{OrgTree, OrgUnit, UnitKind};
use crate::region::RegionCode;
use crate::{Reason, Refusal};
use chrono::{DateTime, NaiveDate, Utc};

/// The states in which dispatch's clocks run: triage, acceptance, handling.
pub const CLOCKED: [State; 4] = [
    State::Registered,
    State::Forwarded,
    State::Assigned,
    State::Accepted,
];

/// 处理意见 (Art. 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Opinion {
    Support,    // 支持
    Explain,    // 解释说明
    NotSupport, // 不予支持
}

impl Opinion {
    pub fn label(self) -> &'static str {
        match self {
            Opinion::Support => "支持",
            Opinion::Explain => "解释说明",
            Opinion::NotSupport => "不予支持",
        }
    }
}

/// The outcome of a people's suggestion (人民建议).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionDecision {
    Adopted,       // 采纳
    PartlyAdopted, // 部分采纳
    NotAdopted,    // 不予采纳
}

/// Why a clock pauses: the days of these do not count (domain.md, Counting days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseKind {
    Hearing,    // 听证
    Appraisal,  // 鉴定
    Inspection, // 核查
}

impl PauseKind {
    pub const ALL: [PauseKind; 3] = [
        PauseKind::Hearing,
        PauseKind::Appraisal,
        PauseKind::Inspection,
    ];

    /// The stable name stored in databases and events (`hearing`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PauseKind::Hearing => "hearing",
            PauseKind::Appraisal => "appraisal",
            PauseKind::Inspection => "inspection",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn label(self) -> &'static str {
        match self {
            PauseKind::Hearing => "听证",
            PauseKind::Appraisal => "鉴定",
            PauseKind::Inspection => "核查",
        }
    }
}

/// A pause that has started and not yet ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningPause {
    pub kind: PauseKind,
    pub reason: String,
    pub start: NaiveDate,
}

impl RunningPause {
    fn ended(&self, end: NaiveDate) -> Pause {
        Pause {
            reason: self.kind.label().to_owned(),
            start: self.start,
            end,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionRequest {
    pub days: u32,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub petition_id: String,
    pub case_number: String,
    pub kind: ItemKind,
    pub state: State,
    /// 谁受理、谁跟踪: the registering unit keeps following the item.
    pub first_handler_unit: String,
    pub first_handler_region: String,
    /// Who triages now (the registering unit, or the level above after escalation or a
    /// jurisdiction dispute).
    pub triage_unit: String,
    pub region: String,
    pub category: String,
    pub channel: String,
    pub flag_mask: i64,
    pub organ: Option<String>,
    pub organ_region: Option<String>,
    pub handler: Option<String>,
    /// The day the item was forwarded or assigned: acceptance and objection count from it.
    pub routed_on: Option<NaiveDate>,
    /// The limit running now; None when no clock runs.
    pub deadline: Option<Deadline>,
    pub pause: Option<RunningPause>,
    pub extension_days: u32,
    pub extension_request: Option<ExtensionRequest>,
    pub opinion: Option<Opinion>,
    pub suggestion: Option<SuggestionDecision>,
    pub report_back: Option<NaiveDate>,
    pub registered_at: DateTime<Utc>,
}

impl Case {
    /// The due date people work to: none while no clock runs or the clock is paused.
    pub fn due(&self) -> Option<NaiveDate> {
        self.deadline
            .as_ref()
            .filter(|_| self.pause.is_none())
            .map(|d| d.due)
    }
}

/// What opening a case needs to know of the registered item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opening {
    pub petition_id: String,
    pub case_number: String,
    pub kind: ItemKind,
    pub registering_unit: String,
    pub region: String,
    pub category: String,
    pub channel: String,
    pub flag_mask: i64,
    pub registered_at: DateTime<Utc>,
    /// The local day of registration: the triage limit counts from it.
    pub registered_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseCommand {
    Open(Opening),
    Forward {
        organ: String,
        note: String,
    },
    Assign {
        organ: String,
        report_back: NaiveDate,
        note: String,
    },
    Redirect {
        route: StatutoryRoute,
        notice: String,
    },
    NotAccept {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Accept {
        notice: String,
    },
    Object {
        reason: String,
        jurisdiction_dispute: bool,
    },
    AssignHandler {
        handler: String,
    },
    NoteProgress {
        text: String,
    },
    RequestExtension {
        days: u32,
        reason: String,
    },
    DecideExtension {
        approved: bool,
        reason: String,
    },
    Answer {
        opinion: Opinion,
        text: String,
    },
    ReportCompletion {
        text: String,
    },
    Transfer {
        organ: String,
        reason: String,
    },
    MarkForeign {
        node_region: RegionCode,
        reason: String,
    },
    DecideSuggestion {
        decision: SuggestionDecision,
        reply: String,
        reward: String,
    },
    StartPause {
        kind: PauseKind,
        reason: String,
        start: NaiveDate,
    },
    EndPause {
        end: NaiveDate,
    },
    /// The holiday calendar changed: count a provisional (暂定) deadline again.
    RecomputeDeadline,
}

/// Forward (转送) or assign (交办).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Routing {
    Forward,
    Assign,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEvent {
    Opened {
        opening: Opening,
        first_handler_region: String,
        triage: Deadline,
    },
    Routed {
        how: Routing,
        organ: String,
        organ_name: String,
        organ_region: String,
        report_back: Option<NaiveDate>,
        note: String,
        routed_on: NaiveDate,
        acceptance: Deadline,
    },
    Redirected {
        route: StatutoryRoute,
        notice: String,
    },
    NotAccepted {
        reason: String,
    },
    /// 上报 inside the node: the petition office above triages it now, on the same clock.
    EscalatedWithin {
        to_unit: String,
        reason: String,
    },
    /// 上报 from the top of the node: to the province.
    EscalatedOut {
        reason: String,
    },
    Accepted {
        organ: String,
        notice: String,
        within_limit: bool,
        handling: Deadline,
    },
    Objected {
        organ: String,
        reason: String,
        jurisdiction_dispute: bool,
        triage_unit: String,
        triage: Deadline,
    },
    HandlerAssigned {
        handler: String,
    },
    ProgressNoted {
        text: String,
    },
    ExtensionRequested {
        days: u32,
        reason: String,
    },
    ExtensionDecided {
        approved: bool,
        days: u32,
        /// The organ's reason for the request.
        requested_for: String,
        /// The approver's note (why not, when refused).
        note: String,
        handling: Option<Deadline>,
    },
    Answered {
        organ: String,
        opinion: Opinion,
        text: String,
        on_time: bool,
        answered_on: NaiveDate,
        review_window: Deadline,
    },
    CompletionReported {
        text: String,
        to_unit: String,
    },
    Transferred {
        from: String,
        to: String,
        to_name: String,
        to_region: String,
        reason: String,
    },
    TransferredOut {
        from: String,
        to_node: String,
        reason: String,
    },
    SuggestionDecided {
        decision: SuggestionDecision,
        reply: String,
        reward: String,
    },
    PauseStarted {
        kind: PauseKind,
        reason: String,
        start: NaiveDate,
    },
    PauseEnded {
        pause: Pause,
        deadline: Deadline,
    },
    DeadlineRecomputed {
        deadline: Deadline,
    },
}

/// What a decision on a case consults.
pub struct CaseContext<'a> {
    pub actor: &'a Actor,
    pub today: NaiveDate,
    pub org: &'a OrgTree,
    pub calendar: &'a Calendar,
    pub limits: &'a Limits,
    /// This node's region code.
    pub node: &'a str,
}

impl CaseContext<'_> {
    fn deadline(
        &self,
        limit: &Limit,
        trigger: NaiveDate,
        pauses: &[Pause],
        extension_days: u32,
    ) -> Result<Deadline, Refusal> {
        due_date(self.calendar, limit, trigger, pauses, extension_days)
            .map_err(|e| Refusal::new(Reason::IllegalTransition, e.to_string()))
    }

    fn unit(&self, code: &str, field: &str) -> Result<&OrgUnit, Refusal> {
        self.org
            .unit(code)
            .ok_or_else(|| Refusal::field(field, format!("{code:?} is not a unit of this node")))
    }

    /// Whether the actor's unit is `code` or above it in the organisation tree.
    fn covers(&self, code: &str) -> bool {
        self.org
            .chain(code)
            .iter()
            .any(|u| u.code == self.actor.unit)
    }

    /// Triage (分流) is the triage unit's, or a unit above it.
    fn ensure_triage(&self, case: &Case) -> Result<(), Refusal> {
        if self.covers(&case.triage_unit) {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::NotTriageUnit,
                format!(
                    "triage of this item belongs to {}, not {}",
                    case.triage_unit, self.actor.unit
                ),
            ))
        }
    }

    /// Acceptance, objection and handling are the responsible organ's.
    fn ensure_organ(&self, case: &Case) -> Result<String, Refusal> {
        match &case.organ {
            Some(organ) if *organ == self.actor.unit => Ok(organ.clone()),
            Some(organ) => Err(Refusal::new(
                Reason::NotResponsibleOrgan,
                format!("this item is handled by {organ}, not {}", self.actor.unit),
            )),
            None => Err(Refusal::new(
                Reason::NotRouted,
                "the item has not been routed to an organ yet",
            )),
        }
    }

    /// Approving an extension: a leader of the organ, or a unit above it.
    fn ensure_approver(&self, case: &Case) -> Result<(), Refusal> {
        let organ = case.organ.as_deref().unwrap_or_default();
        let leader_of_organ = organ == self.actor.unit && self.actor.has_role("leader");
        let above = organ != self.actor.unit && self.covers(organ);
        if leader_of_organ || above {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::NotApprover,
                "an extension is approved by the organ's leader (role leader) or a unit above it",
            ))
        }
    }
}

fn illegal(message: &str) -> Refusal {
    Refusal::new(Reason::IllegalTransition, message)
}

fn require_state(case: &Case, wanted: &[State], why: &str) -> Result<(), Refusal> {
    if wanted.contains(&case.state) {
        Ok(())
    } else {
        Err(illegal(why))
    }
}

impl Aggregate for Case {
    type Command = CaseCommand;
    type Event = CaseEvent;
    type Context<'a> = CaseContext<'a>;

    fn decide(
        state: Option<&Case>,
        command: CaseCommand,
        ctx: &CaseContext<'_>,
    ) -> Result<Vec<CaseEvent>, Refusal> {
        let (case, command) = match (state, command) {
            (None, CaseCommand::Open(opening)) => return open(opening, ctx),
            // A registration seen again opens nothing.
            (Some(_), CaseCommand::Open(_)) => return Ok(Vec::new()),
            (None, _) => return Err(Refusal::new(Reason::NotFound, "no such case")),
            (Some(case), command) => (case, command),
        };
        let event = match command {
            CaseCommand::Open(_) => return Ok(Vec::new()),
            CaseCommand::Forward { organ, note } => {
                route(case, ctx, Routing::Forward, &organ, None, note)?
            }
            CaseCommand::Assign {
                organ,
                report_back,
                note,
            } => {
                if report_back <= ctx.today {
                    return Err(Refusal::field("report_back_date", "must be after today"));
                }
                route(case, ctx, Routing::Assign, &organ, Some(report_back), note)?
            }
            CaseCommand::Redirect { route, notice } => {
                ctx.ensure_triage(case)?;
                case.state.apply(Action::Redirect)?;
                CaseEvent::Redirected { route, notice }
            }
            CaseCommand::NotAccept { reason } => {
                ctx.ensure_triage(case)?;
                case.state.apply(Action::NotAccept)?;
                CaseEvent::NotAccepted { reason }
            }
            CaseCommand::Escalate { reason } => escalate(case, ctx, reason)?,
            CaseCommand::Accept { notice } => {
                let organ = ctx.ensure_organ(case)?;
                case.state.apply(Action::Accept)?;
                let handling = ctx.deadline(&ctx.limits.handling, ctx.today, &[], 0)?;
                CaseEvent::Accepted {
                    organ,
                    notice,
                    within_limit: case.deadline.as_ref().is_none_or(|d| ctx.today <= d.due),
                    handling,
                }
            }
            CaseCommand::Object {
                reason,
                jurisdiction_dispute,
            } => object(case, ctx, reason, jurisdiction_dispute)?,
            CaseCommand::AssignHandler { handler } => {
                ctx.ensure_organ(case)?;
                require_state(
                    case,
                    &[State::Accepted],
                    "a handler is assigned after acceptance",
                )?;
                CaseEvent::HandlerAssigned { handler }
            }
            CaseCommand::NoteProgress { text } => {
                ctx.ensure_organ(case)?;
                require_state(
                    case,
                    &[State::Accepted],
                    "progress is noted while the item is being handled",
                )?;
                CaseEvent::ProgressNoted { text }
            }
            CaseCommand::RequestExtension { days, reason } => {
                request_extension(case, ctx, days, reason)?
            }
            CaseCommand::DecideExtension { approved, reason } => {
                decide_extension(case, ctx, approved, reason)?
            }
            CaseCommand::Answer { opinion, text } => {
                // The lifecycle speaks first: answering before acceptance is refused as such.
                case.state.apply(Action::Answer)?;
                let organ = ctx.ensure_organ(case)?;
                let review_window = ctx.deadline(&ctx.limits.review_window, ctx.today, &[], 0)?;
                CaseEvent::Answered {
                    organ,
                    opinion,
                    text,
                    on_time: case.deadline.as_ref().is_none_or(|d| ctx.today <= d.due),
                    answered_on: ctx.today,
                    review_window,
                }
            }
            CaseCommand::ReportCompletion { text } => {
                ctx.ensure_organ(case)?;
                if case.report_back.is_none() {
                    return Err(Refusal::new(
                        Reason::NotAssigned,
                        "a completion report is due for assigned (交办) items only",
                    ));
                }
                require_state(
                    case,
                    &[State::Answered],
                    "the completion report follows the answer",
                )?;
                CaseEvent::CompletionReported {
                    text,
                    to_unit: case.triage_unit.clone(),
                }
            }
            CaseCommand::Transfer { organ, reason } => {
                if ctx.ensure_organ(case).is_err() {
                    ctx.ensure_triage(case)?;
                }
                require_state(
                    case,
                    &[State::Forwarded, State::Assigned, State::Accepted],
                    "only a routed item is transferred between organs",
                )?;
                let to = ctx.unit(&organ, "organ_code")?;
                CaseEvent::Transferred {
                    from: case.organ.clone().unwrap_or_default(),
                    to: to.code.clone(),
                    to_name: to.name.clone(),
                    to_region: to.region.to_string(),
                    reason,
                }
            }
            CaseCommand::MarkForeign {
                node_region,
                reason,
            } => {
                ctx.ensure_triage(case)?;
                if node_region.as_str() == ctx.node {
                    return Err(Refusal::field("node_region_code", "that is this node"));
                }
                case.state.apply(Action::TransferOut)?;
                CaseEvent::TransferredOut {
                    from: case.triage_unit.clone(),
                    to_node: node_region.to_string(),
                    reason,
                }
            }
            CaseCommand::DecideSuggestion {
                decision,
                reply,
                reward,
            } => {
                if case.kind != ItemKind::Suggestion {
                    return Err(Refusal::new(
                        Reason::NotASuggestion,
                        "this item is a petition, not a people's suggestion (人民建议)",
                    ));
                }
                case.state.apply(Action::Answer)?;
                ctx.ensure_organ(case)?;
                CaseEvent::SuggestionDecided {
                    decision,
                    reply,
                    reward,
                }
            }
            CaseCommand::StartPause {
                kind,
                reason,
                start,
            } => start_pause(case, ctx, kind, reason, start)?,
            CaseCommand::EndPause { end } => end_pause(case, ctx, end)?,
            CaseCommand::RecomputeDeadline => {
                let Some(current) = case.deadline.as_ref().filter(|d| d.provisional) else {
                    return Ok(Vec::new());
                };
                let deadline = current
                    .recompute(ctx.calendar, &current.pauses)
                    .map_err(|e| illegal(&e.to_string()))?;
                if deadline == *current {
                    return Ok(Vec::new());
                }
                CaseEvent::DeadlineRecomputed { deadline }
            }
        };
        Ok(vec![event])
    }

    fn evolve(state: Option<Case>, event: &CaseEvent) -> Option<Case> {
        let mut case = match (state, event) {
            (
                None,
                CaseEvent::Opened {
                    opening,
                    first_handler_region,
                    triage,
                },
            ) => {
                return Some(Case {
                    petition_id: opening.petition_id.clone(),
                    case_number: opening.case_number.clone(),
                    kind: opening.kind,
                    state: State::Registered,
                    first_handler_unit: opening.registering_unit.clone(),
                    first_handler_region: first_handler_region.clone(),
                    triage_unit: opening.registering_unit.clone(),
                    region: opening.region.clone(),
                    category: opening.category.clone(),
                    channel: opening.channel.clone(),
                    flag_mask: opening.flag_mask,
                    organ: None,
                    organ_region: None,
                    handler: None,
                    routed_on: None,
                    deadline: Some(triage.clone()),
                    pause: None,
                    extension_days: 0,
                    extension_request: None,
                    opinion: None,
                    suggestion: None,
                    report_back: None,
                    registered_at: opening.registered_at,
                });
            }
            (None, _) => return None,
            (Some(case), _) => case,
        };
        match event {
            CaseEvent::Opened { .. } => {}
            CaseEvent::Routed {
                how,
                organ,
                organ_region,
                report_back,
                routed_on,
                acceptance,
                ..
            } => {
                case.step(match how {
                    Routing::Forward => Action::Forward,
                    Routing::Assign => Action::Assign,
                });
                case.organ = Some(organ.clone());
                case.organ_region = Some(organ_region.clone());
                case.routed_on = Some(*routed_on);
                case.report_back = *report_back;
                case.new_clock(Some(acceptance.clone()));
            }
            CaseEvent::Redirected { .. } => {
                case.step(Action::Redirect);
                case.new_clock(None);
            }
            CaseEvent::NotAccepted { .. } => {
                case.step(Action::NotAccept);
                case.new_clock(None);
            }
            CaseEvent::EscalatedWithin { to_unit, .. } => case.triage_unit = to_unit.clone(),
            CaseEvent::EscalatedOut { .. } => {
                case.step(Action::Escalate);
                case.new_clock(None);
            }
            CaseEvent::Accepted { handling, .. } => {
                case.step(Action::Accept);
                case.new_clock(Some(handling.clone()));
            }
            CaseEvent::Objected {
                triage_unit,
                triage,
                ..
            } => {
                case.step(Action::Object);
                case.triage_unit = triage_unit.clone();
                case.organ = None;
                case.organ_region = None;
                case.routed_on = None;
                case.report_back = None;
                case.new_clock(Some(triage.clone()));
            }
            CaseEvent::HandlerAssigned { handler } => case.handler = Some(handler.clone()),
            CaseEvent::ProgressNoted { .. } => {}
            CaseEvent::ExtensionRequested { days, reason } => {
                case.extension_request = Some(ExtensionRequest {
                    days: *days,
                    reason: reason.clone(),
                });
            }
            CaseEvent::ExtensionDecided {
                approved,
                days,
                handling,
                ..
            } => {
                case.extension_request = None;
                if *approved {
                    case.extension_days = *days;
                    case.deadline = handling.clone();
                }
            }
            CaseEvent::Answered {
                opinion,
                review_window,
                ..
            } => {
                case.step(Action::Answer);
                case.opinion = Some(*opinion);
                case.new_clock(Some(review_window.clone()));
            }
            CaseEvent::CompletionReported { .. } => {}
            CaseEvent::Transferred { to, to_region, .. } => {
                case.organ = Some(to.clone());
                case.organ_region = Some(to_region.clone());
            }
            CaseEvent::TransferredOut { .. } => {
                case.step(Action::TransferOut);
                case.new_clock(None);
            }
            CaseEvent::SuggestionDecided { decision, .. } => {
                case.step(Action::Answer);
                case.suggestion = Some(*decision);
                case.new_clock(None);
            }
            CaseEvent::PauseStarted {
                kind,
                reason,
                start,
            } => {
                case.pause = Some(RunningPause {
                    kind: *kind,
                    reason: reason.clone(),
                    start: *start,
                });
            }
            CaseEvent::PauseEnded { deadline, .. } => {
                case.pause = None;
                case.deadline = Some(deadline.clone());
            }
            CaseEvent::DeadlineRecomputed { deadline } => case.deadline = Some(deadline.clone()),
        }
        Some(case)
    }
}

impl Case {
    /// Moves along the lifecycle; `decide` has checked that the step is legal.
    fn step(&mut self, action: Action) {
        if let Ok(next) = self.state.apply(action) {
            self.state = next;
        }
    }

    /// A new limit starts (or none): pauses belonged to the one before.
    fn new_clock(&mut self, deadline: Option<Deadline>) {
        self.deadline = deadline;
        self.pause = None;
    }
}

fn open(opening: Opening, ctx: &CaseContext<'_>) -> Result<Vec<CaseEvent>, Refusal> {
    // A queue nobody of this node sees would lose the item: the organisation tree may not know
    // a unit yet that intake's already does (a reload not done everywhere).
    let unit = ctx.org.unit(&opening.registering_unit).ok_or_else(|| {
        Refusal::new(
            Reason::UnknownUnit,
            format!(
                "the registering unit {} is not in this node's organisation tree",
                opening.registering_unit
            ),
        )
    })?;
    let first_handler_region = unit.region.to_string();
    let triage = ctx.deadline(&ctx.limits.triage, opening.registered_on, &[], 0)?;
    Ok(vec![CaseEvent::Opened {
        opening,
        first_handler_region,
        triage,
    }])
}

fn route(
    case: &Case,
    ctx: &CaseContext<'_>,
    how: Routing,
    organ: &str,
    report_back: Option<NaiveDate>,
    note: String,
) -> Result<CaseEvent, Refusal> {
    ctx.ensure_triage(case)?;
    let unit = ctx.unit(organ, "organ_code")?;
    if unit.kind == UnitKind::PetitionOffice {
        return Err(Refusal::new(
            Reason::RouteToPetitionOffice,
            format!(
                "{} is a petition office; items are routed to the organ competent to handle them",
                unit.code
            ),
        )
        .at("organ_code"));
    }
    case.state.apply(match how {
        Routing::Forward => Action::Forward,
        Routing::Assign => Action::Assign,
    })?;
    let acceptance = ctx.deadline(&ctx.limits.acceptance, ctx.today, &[], 0)?;
    Ok(CaseEvent::Routed {
        how,
        organ: unit.code.clone(),
        organ_name: unit.name.clone(),
        organ_region: unit.region.to_string(),
        report_back,
        note,
        routed_on: ctx.today,
        acceptance,
    })
}

fn escalate(case: &Case, ctx: &CaseContext<'_>, reason: String) -> Result<CaseEvent, Refusal> {
    ctx.ensure_triage(case)?;
    require_state(
        case,
        &[State::Registered],
        "only an item waiting for triage is escalated",
    )?;
    // Inside the node the level above triages it now; from the top it goes to the province.
    let upper = ctx
        .org
        .chain(&case.triage_unit)
        .into_iter()
        .skip(1)
        .find(|u| u.kind == UnitKind::PetitionOffice);
    Ok(match upper {
        Some(upper) => CaseEvent::EscalatedWithin {
            to_unit: upper.code.clone(),
            reason,
        },
        None => CaseEvent::EscalatedOut { reason },
    })
}

fn object(
    case: &Case,
    ctx: &CaseContext<'_>,
    reason: String,
    jurisdiction_dispute: bool,
) -> Result<CaseEvent, Refusal> {
    let organ = ctx.ensure_organ(case)?;
    let routed_on = case
        .routed_on
        .ok_or_else(|| Refusal::new(Reason::NotRouted, "the item was not routed to this organ"))?;
    let window = ctx.deadline(&ctx.limits.objection, routed_on, &[], 0)?;
    if ctx.today > window.due {
        return Err(Refusal::new(
            Reason::ObjectionWindowClosed,
            format!(
                "the objection window closed on {} ({})",
                window.due, window.explanation
            ),
        ));
    }
    case.state.apply(Action::Object)?;
    // Art. 24: a dispute between organs goes to their common superior.
    let triage_unit = jurisdiction_dispute
        .then(|| ctx.org.common_superior(&case.triage_unit, &organ))
        .flatten()
        .map_or_else(|| case.triage_unit.clone(), |u| u.code.clone());
    let triage = ctx.deadline(&ctx.limits.triage, ctx.today, &[], 0)?;
    Ok(CaseEvent::Objected {
        organ,
        reason,
        jurisdiction_dispute,
        triage_unit,
        triage,
    })
}

fn request_extension(
    case: &Case,
    ctx: &CaseContext<'_>,
    days: u32,
    reason: String,
) -> Result<CaseEvent, Refusal> {
    ctx.ensure_organ(case)?;
    require_state(
        case,
        &[State::Accepted],
        "an extension is requested while the item is being handled",
    )?;
    if case.extension_request.is_some() {
        return Err(Refusal::new(
            Reason::ExtensionPending,
            "an extension request is already waiting for approval",
        ));
    }
    let cap = Extension {
        cap_days: ctx.limits.extension_cap_days,
    };
    cap.check(case.extension_days > 0, days)
        .map_err(|e| match e {
            ExtensionError::AlreadyGranted => {
                Refusal::new(Reason::ExtensionAlreadyGranted, e.to_string())
            }
            other => Refusal::new(Reason::ExtensionTooLong, other.to_string()).at("days"),
        })?;
    Ok(CaseEvent::ExtensionRequested { days, reason })
}

fn decide_extension(
    case: &Case,
    ctx: &CaseContext<'_>,
    approved: bool,
    reason: String,
) -> Result<CaseEvent, Refusal> {
    ctx.ensure_approver(case)?;
    let request = case.extension_request.as_ref().ok_or_else(|| {
        Refusal::new(
            Reason::NoExtensionPending,
            "no extension request is waiting",
        )
    })?;
    if !approved {
        return Ok(CaseEvent::ExtensionDecided {
            approved,
            days: request.days,
            requested_for: request.reason.clone(),
            note: reason,
            handling: None,
        });
    }
    let current = case
        .deadline
        .as_ref()
        .ok_or_else(|| illegal("an accepted case has no handling deadline"))?;
    let handling = ctx.deadline(
        &current.limit,
        current.trigger,
        &current.pauses,
        request.days,
    )?;
    Ok(CaseEvent::ExtensionDecided {
        approved,
        days: request.days,
        requested_for: request.reason.clone(),
        note: reason,
        handling: Some(handling),
    })
}

/// The unit whose clock runs may pause it: the triage unit in triage, the organ afterwards.
fn ensure_clock_owner(case: &Case, ctx: &CaseContext<'_>) -> Result<(), Refusal> {
    match case.state {
        State::Registered => ctx.ensure_triage(case),
        _ => ctx.ensure_organ(case).map(drop),
    }
}

fn start_pause(
    case: &Case,
    ctx: &CaseContext<'_>,
    kind: PauseKind,
    reason: String,
    start: NaiveDate,
) -> Result<CaseEvent, Refusal> {
    ensure_clock_owner(case, ctx)?;
    let deadline = case
        .deadline
        .as_ref()
        .filter(|_| CLOCKED.contains(&case.state))
        .ok_or_else(|| {
            Refusal::new(
                Reason::NoClockRunning,
                "no limit of triage, acceptance or handling runs on this item to pause",
            )
        })?;
    if case.pause.is_some() {
        return Err(Refusal::new(
            Reason::PauseRunning,
            "the clock is already paused",
        ));
    }
    if start <= deadline.trigger || start > ctx.today {
        return Err(Refusal::field(
            "start_date",
            format!(
                "a pause starts after the limit's trigger ({}) and not after today ({})",
                deadline.trigger, ctx.today
            ),
        ));
    }
    if let Some(last) = deadline.pauses.iter().map(|p| p.end).max()
        && start <= last
    {
        return Err(Refusal::field(
            "start_date",
            format!("a pause starts after the last one ended ({last})"),
        ));
    }
    Ok(CaseEvent::PauseStarted {
        kind,
        reason,
        start,
    })
}

fn end_pause(case: &Case, ctx: &CaseContext<'_>, end: NaiveDate) -> Result<CaseEvent, Refusal> {
    ensure_clock_owner(case, ctx)?;
    let running = case
        .pause
        .as_ref()
        .ok_or_else(|| Refusal::new(Reason::NoPauseRunning, "the clock is not paused"))?;
    if end < running.start || end > ctx.today {
        return Err(Refusal::field(
            "end_date",
            format!(
                "a pause ends on or after its start ({}) and not after today ({})",
                running.start, ctx.today
            ),
        ));
    }
    let current = case
        .deadline
        .as_ref()
        .ok_or_else(|| Refusal::new(Reason::NoClockRunning, "no limit runs"))?;
    let pause = running.ended(end);
    let mut pauses = current.pauses.clone();
    pauses.push(pause.clone());
    let deadline = current
        .recompute(ctx.calendar, &pauses)
        .map_err(|e| illegal(&e.to_string()))?;
    Ok(CaseEvent::PauseEnded { pause, deadline })
}

#[cfg(test)]
mod tests;
