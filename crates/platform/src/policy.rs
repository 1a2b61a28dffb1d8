//! The one authorization policy of the platform (architecture.md, Authorization): which roles
//! may call which RPC, and which items a unit sees. Every service asks it; none writes its own
//! rule. The table below is the whole of who-may-call-what (the README repeats it).

use crate::auth::Caller;
use xinfang_domain::reference::{OrgTree, OrgUnit, UnitKind};
use xinfang_domain::{Reason, Refusal};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// 工作人员: registers, triages, accepts and answers for its unit.
    Clerk,
    /// 承办人: handles the items assigned to it.
    Handler,
    /// 领导: approves extensions, receives petitioners, takes charge of backlog items.
    Leader,
    /// 督查: supervises the units below its own.
    Supervisor,
    /// 管理员: everything but the citizen's part.
    Admin,
    /// 数据交换: a city node's link to the provincial hub (pushes its records, pulls its queue).
    Exchange,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Clerk,
        Role::Handler,
        Role::Leader,
        Role::Supervisor,
        Role::Admin,
        Role::Exchange,
    ];

    /// The name tokens carry.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Handler => "handler",
            Role::Leader => "leader",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
            Role::Exchange => "exchange",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// Who may make one call.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The gRPC path, `/package.Service/Method`.
    pub method: &'static str,
    /// Roles whose tokens may call it (an admin always may).
    pub roles: &'static [Role],
    /// The citizen may call it without a token (rate-limited).
    pub public: bool,
}

use Role::{Clerk as C, Handler as H, Leader as L, Supervisor as S};

const READ: &[Role] = &[C, H, L, S];
const TRIAGE: &[Role] = &[C, L];
const HANDLE: &[Role] = &[C, H, L];
const SUPERVISE: &[Role] = &[S];
const SUPERVISE_OR_LEAD: &[Role] = &[S, L];

const fn rule(method: &'static str, roles: &'static [Role]) -> Rule {
    Rule {
        method,
        roles,
        public: false,
    }
}

const fn public(method: &'static str, roles: &'static [Role]) -> Rule {
    Rule {
        method,
        roles,
        public: true,
    }
}

/// Every RPC of the platform and who may call it.
pub const RULES: &[Rule] = &[
    // 受理登记
    // The exchange registers what the province assigns (省交办).
    public(
        "/xinfang.intake.v1.IntakeService/RegisterPetition",
        &[C, L, Role::Exchange],
    ),
    rule("/xinfang.intake.v1.IntakeService/GetPetition", READ),
    rule("/xinfang.intake.v1.IntakeService/ListPetitions", READ),
    public("/xinfang.intake.v1.IntakeService/TrackByQueryCode", READ),
    // An item transferred to another city leaves in full through the exchange only.
    rule(
        "/xinfang.intake.v1.IntakeService/HandOver",
        &[Role::Exchange],
    ),
    // 转送交办, 受理, 办理
    rule("/xinfang.dispatch.v1.DispatchService/ListCases", READ),
    rule("/xinfang.dispatch.v1.DispatchService/GetCase", READ),
    rule("/xinfang.dispatch.v1.DispatchService/ProposeRoute", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/Forward", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/Assign", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/Redirect", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/NotAccept", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/Escalate", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/Accept", HANDLE),
    rule("/xinfang.dispatch.v1.DispatchService/Object", HANDLE),
    rule("/xinfang.dispatch.v1.DispatchService/AssignHandler", TRIAGE),
    rule(
        "/xinfang.dispatch.v1.DispatchService/AddProgressNote",
        HANDLE,
    ),
    rule(
        "/xinfang.dispatch.v1.DispatchService/RequestExtension",
        HANDLE,
    ),
    rule(
        "/xinfang.dispatch.v1.DispatchService/DecideExtension",
        TRIAGE,
    ),
    rule("/xinfang.dispatch.v1.DispatchService/Answer", HANDLE),
    rule(
        "/xinfang.dispatch.v1.DispatchService/SubmitCompletionReport",
        HANDLE,
    ),
    rule("/xinfang.dispatch.v1.DispatchService/StartPause", HANDLE),
    rule("/xinfang.dispatch.v1.DispatchService/EndPause", HANDLE),
    rule("/xinfang.dispatch.v1.DispatchService/Transfer", TRIAGE),
    rule("/xinfang.dispatch.v1.DispatchService/MarkForeign", TRIAGE),
    rule(
        "/xinfang.dispatch.v1.DispatchService/DecideSuggestion",
        HANDLE,
    ),
    // 督查督办
    rule(
        "/xinfang.supervision.v1.SupervisionService/ListDueItems",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/ListSupervisionOrders",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/IssueSupervisionOrder",
        SUPERVISE,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/ReplyToSupervisionOrder",
        HANDLE,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/CreateBacklogList",
        SUPERVISE_OR_LEAD,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/AddBacklogItems",
        SUPERVISE_OR_LEAD,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/AssignLeaderPackage",
        SUPERVISE_OR_LEAD,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/CloseBacklogItem",
        SUPERVISE_OR_LEAD,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/CertifyResolution",
        SUPERVISE,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/FileScreeningReport",
        &[C],
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/GetMetrics",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/DrillDownMetric",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/GetPetitionIndex",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/ExportMonthlyBulletin",
        READ,
    ),
    // 年度信访工作报告
    rule(
        "/xinfang.supervision.v1.SupervisionService/GetAnnualReport",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/DrillDownAnnualFigure",
        READ,
    ),
    rule(
        "/xinfang.supervision.v1.SupervisionService/ExportAnnualReport",
        READ,
    ),
    // 满意度评价, 回访, 复查, 复核, 听证, 终结
    public(
        "/xinfang.evaluation.v1.EvaluationService/SubmitEvaluation",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/ListEvaluations",
        READ,
    ),
    rule("/xinfang.evaluation.v1.EvaluationService/GetRecord", READ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/RecordRevisit",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/RequestReview",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/DecideReview",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/RequestReExamination",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/DecideReExamination",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/ScheduleHearing",
        HANDLE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/EndHearing",
        HANDLE,
    ),
    rule("/xinfang.evaluation.v1.EvaluationService/Terminate", TRIAGE),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/ListTerminated",
        READ,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/RecordSpotCheck",
        SUPERVISE,
    ),
    rule(
        "/xinfang.evaluation.v1.EvaluationService/ReportToProvince",
        TRIAGE,
    ),
    // 联席会议
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/ConveneMeeting",
        TRIAGE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/AddAgendaItems",
        TRIAGE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/RecordDecision",
        TRIAGE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/RecordFollowUp",
        HANDLE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/CertifyResolution",
        SUPERVISE_OR_LEAD,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/GetMeeting",
        READ,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/ListMeetings",
        READ,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/ExportMinutes",
        READ,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/PublishRoster",
        TRIAGE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/SwapDuty",
        TRIAGE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/GetRoster",
        READ,
    ),
    // 数据交换: the hub's calls take a node's link; the node's admin calls its operators.
    rule(
        "/xinfang.exchange.v1.ExchangeService/PushBatch",
        &[Role::Exchange],
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeService/PullBatch",
        &[Role::Exchange],
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeService/AckPull",
        &[Role::Exchange],
    ),
    // 省交办: the province's clerks, for a node below their unit.
    rule("/xinfang.exchange.v1.ExchangeService/AssignItem", TRIAGE),
    rule(
        "/xinfang.exchange.v1.ExchangeService/PublishCalendar",
        TRIAGE,
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeService/PublishCodeMapping",
        TRIAGE,
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeService/PublishOrganisation",
        TRIAGE,
    ),
    rule("/xinfang.exchange.v1.ExchangeService/ListNodes", READ),
    rule(
        "/xinfang.exchange.v1.ExchangeAdminService/GetLinkStatus",
        READ,
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeAdminService/ListUploadRecords",
        READ,
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeAdminService/GetCodeMapping",
        READ,
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeAdminService/ResendRecord",
        TRIAGE,
    ),
    rule(
        "/xinfang.exchange.v1.ExchangeAdminService/ListDownRecords",
        READ,
    ),
    // 领导接访 / 约访: the calendar is public (五公开), and so is a booking.
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/PublishReceptionDay",
        TRIAGE,
    ),
    public(
        "/xinfang.jointmeeting.v1.JointMeetingService/ListReceptionCalendar",
        READ,
    ),
    public(
        "/xinfang.jointmeeting.v1.JointMeetingService/BookReception",
        TRIAGE,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/GetReceptionDay",
        READ,
    ),
    rule(
        "/xinfang.jointmeeting.v1.JointMeetingService/RecordReception",
        TRIAGE,
    ),
];

/// Health and reflection answer everyone.
fn open(path: &str) -> bool {
    path.starts_with("/grpc.health.") || path.starts_with("/grpc.reflection.")
}

pub fn rule_of(path: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.method == path)
}

/// Whether `caller` (None: no token) may call `path`. A call no rule names is refused.
pub fn authorize(path: &str, caller: Option<&Caller>) -> Result<(), Refusal> {
    if open(path) {
        return Ok(());
    }
    let rule = rule_of(path).ok_or_else(|| {
        Refusal::new(
            Reason::RoleRequired,
            format!("{path} is not in the authorization policy"),
        )
    })?;
    let Some(caller) = caller else {
        return if rule.public {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::Unauthenticated,
                "this call needs a bearer token",
            ))
        };
    };
    let allowed = caller
        .roles
        .iter()
        .filter_map(|r| Role::parse(r))
        .any(|role| role == Role::Admin || rule.roles.contains(&role));
    if allowed {
        Ok(())
    } else {
        let wanted: Vec<&str> = rule.roles.iter().map(|r| r.as_str()).collect();
        Err(Refusal::new(
            Reason::RoleRequired,
            format!(
                "{} needs the role {} (the token holds {})",
                rule.method.rsplit('/').next().unwrap_or(rule.method),
                wanted.join(" or "),
                caller.roles.join(", ")
            ),
        ))
    }
}

/// Which items a unit sees (architecture.md, Authorization).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// A petition office or a government (a township, a district): the items of its region —
    /// the city office all, a county office its townships and its county's departments' cases, a
    /// township its own. A supervisor sees the subtree of its unit's level the same way.
    Region(String),
    /// A department: the items routed or assigned to it, and those it registered.
    Unit(String),
}

/// What an item shows the policy: the regions it concerns (its matter, the units holding it)
/// and the units that hold it (registering, triaging, handling).
#[derive(Debug, Clone, Default)]
pub struct Holders<'a> {
    pub regions: Vec<&'a str>,
    pub units: Vec<&'a str>,
}

/// The caller's unit in the organisation tree.
pub fn caller_unit<'o>(org: &'o OrgTree, caller: &Caller) -> Result<&'o OrgUnit, Refusal> {
    org.unit(&caller.org_unit).ok_or_else(|| {
        Refusal::new(
            Reason::UnknownUnit,
            format!(
                "unit {} is not in this node's organisation tree",
                caller.org_unit
            ),
        )
    })
}

impl Scope {
    /// The caller's scope, from its unit in the organisation tree.
    pub fn of(org: &OrgTree, caller: &Caller) -> Result<Scope, Refusal> {
        let unit = caller_unit(org, caller)?;
        Ok(match unit.kind {
            UnitKind::Department => Scope::Unit(unit.code.clone()),
            UnitKind::PetitionOffice | UnitKind::Government => {
                Scope::Region(unit.region.scope_prefix().to_owned())
            }
        })
    }

    pub fn sees(&self, item: &Holders<'_>) -> bool {
        match self {
            Scope::Region(prefix) => item.regions.iter().any(|r| r.starts_with(prefix.as_str())),
            Scope::Unit(code) => item.units.contains(&code.as_str()),
        }
    }
}

/// Whether `unit` lies strictly below `above` in the organisation tree (a supervisor supervises
/// the units below its own, never its own or one above).
pub fn is_below(org: &OrgTree, unit: &str, above: &str) -> bool {
    org.chain(unit).iter().skip(1).any(|u| u.code == above)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(unit: &str, roles: &[&str]) -> Caller {
        Caller {
            user_id: "u".into(),
            name: "u".into(),
            org_unit: unit.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn every_method_of_every_built_service_has_a_rule_once() {
        let mut methods: Vec<&str> = RULES.iter().map(|r| r.method).collect();
        let all = methods.len();
        methods.sort();
        methods.dedup();
        assert_eq!(methods.len(), all, "a method named twice");
        for descriptor in [
            "xinfang.intake.v1.IntakeService",
            "xinfang.dispatch.v1.DispatchService",
            "xinfang.supervision.v1.SupervisionService",
            "xinfang.evaluation.v1.EvaluationService",
            "xinfang.jointmeeting.v1.JointMeetingService",
        ] {
            assert!(RULES.iter().any(|r| r.method.contains(descriptor)));
        }
    }

    #[test]
    fn roles_and_tokens_are_checked_against_the_table() {
        let issue = "/xinfang.supervision.v1.SupervisionService/IssueSupervisionOrder";
        let refused = authorize(issue, Some(&caller("east-xfj", &["clerk"]))).unwrap_err();
        assert_eq!(refused.reason, Reason::RoleRequired);
        assert!(authorize(issue, Some(&caller("east-xfj", &["supervisor"]))).is_ok());
        assert!(authorize(issue, Some(&caller("east-xfj", &["admin"]))).is_ok());
        assert_eq!(
            authorize(issue, None).unwrap_err().reason,
            Reason::Unauthenticated
        );
        let register = "/xinfang.intake.v1.IntakeService/RegisterPetition";
        assert!(
            authorize(register, None).is_ok(),
            "the citizen submits online"
        );
        assert!(authorize("/grpc.health.v1.Health/Check", None).is_ok());
        assert_eq!(
            authorize(
                "/xinfang.intake.v1.IntakeService/DropAll",
                Some(&caller("city-xfj", &["admin"]))
            )
            .unwrap_err()
            .reason,
            Reason::RoleRequired,
            "deny what no rule names"
        );
    }
}
