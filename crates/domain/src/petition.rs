//! 受理登记 — the petition (intake's aggregate): an item registered from any channel, screened
//! (repeat, terminated matter, statutory route, bypass visit, group, urgent), and then following
//! its case: each public step the petitioner sees with the query code (查询码).

use crate::aggregate::Aggregate;
use crate::identity::{PhoneNumber, ResidentId, mask_other_id};
use crate::lifecycle::{ItemKind, State};
use crate::reference::{Category, Channel, OrgUnit};
use crate::region::{RegionCode, RegionLevel};
use crate::screening::{self, Candidate, Policy, PriorItem, Screening};
use crate::{Reason, Refusal};
use chrono::{DateTime, Utc};

/// 身份证件: how a petitioner is identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Resident(ResidentId),
    Passport(String),
    Other(String),
    /// 匿名: registered, no notices.
    Anonymous,
}

impl Identity {
    /// The value sealed at rest and hashed for look-up.
    pub fn number(&self) -> Option<&str> {
        match self {
            Identity::Resident(id) => Some(id.as_str()),
            Identity::Passport(n) | Identity::Other(n) => Some(n),
            Identity::Anonymous => None,
        }
    }

    pub fn masked(&self) -> Option<String> {
        match self {
            Identity::Resident(id) => Some(id.masked()),
            Identity::Passport(n) | Identity::Other(n) => Some(mask_other_id(n)),
            Identity::Anonymous => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPetitioner {
    pub name: String,
    pub identity: Identity,
    pub phone: Option<PhoneNumber>,
    pub address: String,
    pub region: RegionCode,
    /// 代表: in a group visit, at most five.
    pub representative: bool,
}

/// 信访代理员: a village cadre or appointed proxy petitioning on someone's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub name: String,
    pub phone: Option<PhoneNumber>,
    pub organisation: String,
    pub relation: String,
}

/// Attachment metadata; the content lives in object storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub media_type: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub storage_uri: String,
}

/// An item as registered: every field checked against the node's code tables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub kind: ItemKind,
    pub channel: Channel,
    pub registering_unit: OrgUnit,
    pub region: RegionCode,
    pub category: Category,
    pub title: String,
    pub content: String,
    pub petitioners: Vec<NewPetitioner>,
    pub headcount: u32,
    pub agent: Option<Agent>,
    pub attachments: Vec<Attachment>,
    pub petitioned_at: DateTime<Utc>,
    /// For visits: the level of the organ visited.
    pub visited_level: Option<RegionLevel>,
    pub major_urgent: bool,
    pub threat: bool,
    pub petitioned_elsewhere_before: bool,
    pub matter_key: String,
    /// The provincial number of an item the province assigned (省交办) or another city
    /// transferred here (转有权处理地); empty otherwise.
    pub province_number: String,
    /// What the petitioner was told of a transferred item in the city it came from; kept as
    /// the item's first public steps.
    pub history: Vec<PublicStep>,
}

/// What registration keeps beside the item: the request it came from and the query code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub idempotency_key: String,
    pub request_digest: String,
    pub query_code: String,
    /// The user who registered it, or `citizen`.
    pub registered_by: String,
}

/// A step of the item's case the petitioner is told of (转送, 受理告知, 处理意见, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicStep {
    pub kind: String,
    pub title: String,
    pub organ_name: String,
    pub text: String,
    pub occurred_at: DateTime<Utc>,
    /// The state the step leaves the item in, if it moves it.
    pub state: Option<State>,
    /// Who holds the item after the step: an organ (routed, transferred), or none (back to
    /// triage); unchanged when the step says nothing of it.
    pub holder: Option<Option<String>>,
    /// The day (YYYY-MM-DD) by which the next step is due, as the step tells the petitioner:
    /// 受理告知 names the handling limit, 延期告知 the extended one.
    pub due_date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Petition {
    pub case_number: String,
    pub state: State,
    /// The organ the item is routed to.
    pub organ: Option<String>,
    pub registering_unit: String,
    pub region: String,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PetitionCommand {
    Register {
        /// The next number of the node and year (`340100-2026-000001`).
        case_number: String,
        registration: Box<Registration>,
        receipt: Receipt,
        at: DateTime<Utc>,
    },
    FollowCase(PublicStep),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PetitionEvent {
    Registered {
        case_number: String,
        registration: Box<Registration>,
        receipt: Receipt,
        screening: Screening,
        at: DateTime<Utc>,
    },
    CaseFollowed(PublicStep),
}

/// What registration screens against: earlier items of the same petitioners.
pub struct PetitionContext<'a> {
    /// Keyed hashes of the petitioners' ID numbers, in the order of the petitioners.
    pub petitioner_keys: &'a [String],
    pub priors: &'a [PriorItem],
    /// The statutory route the content category names, if any.
    pub category_route: Option<&'a str>,
    pub policy: &'a Policy,
}

impl Aggregate for Petition {
    type Command = PetitionCommand;
    type Event = PetitionEvent;
    type Context<'a> = PetitionContext<'a>;

    fn decide(
        state: Option<&Petition>,
        command: PetitionCommand,
        ctx: &PetitionContext<'_>,
    ) -> Result<Vec<PetitionEvent>, Refusal> {
        match (state, command) {
            (
                None,
                PetitionCommand::Register {
                    case_number,
                    registration,
                    receipt,
                    at,
                },
            ) => {
                let mut registration = registration;
                let history = std::mem::take(&mut registration.history);
                let screening = screening::screen(
                    &Candidate {
                        petitioner_keys: ctx.petitioner_keys,
                        matter_key: &registration.matter_key,
                        content: &registration.content,
                        category_route: ctx.category_route,
                        region: &registration.region,
                        visited_level: registration.visited_level,
                        people: registration.headcount,
                        major_urgent: registration.major_urgent,
                        threat: registration.threat,
                        petitioned_elsewhere_before: registration.petitioned_elsewhere_before,
                        now: at,
                    },
                    ctx.priors,
                    ctx.policy,
                );
                let registered = PetitionEvent::Registered {
                    case_number,
                    registration,
                    receipt,
                    screening,
                    at,
                };
                Ok(std::iter::once(registered)
                    .chain(history.into_iter().map(PetitionEvent::CaseFollowed))
                    .collect())
            }
            (Some(_), PetitionCommand::Register { .. }) => Err(Refusal::new(
                Reason::AlreadyRegistered,
                "the petition is registered already",
            )),
            (None, PetitionCommand::FollowCase(_)) => Err(Refusal::new(
                Reason::UnknownItem,
                "a case step of a petition this node did not register",
            )),
            (Some(_), PetitionCommand::FollowCase(step)) => {
                Ok(vec![PetitionEvent::CaseFollowed(step)])
            }
        }
    }

    fn evolve(state: Option<Petition>, event: &PetitionEvent) -> Option<Petition> {
        match (state, event) {
            (
                None,
                PetitionEvent::Registered {
                    case_number,
                    registration,
                    screening,
                    at,
                    ..
                },
            ) => Some(Petition {
                case_number: case_number.clone(),
                state: screening.disposition.state(),
                organ: None,
                registering_unit: registration.registering_unit.code.clone(),
                region: registration.region.to_string(),
                registered_at: *at,
            }),
            (Some(mut petition), PetitionEvent::CaseFollowed(step)) => {
                if let Some(state) = step.state {
                    petition.state = state;
                }
                if let Some(holder) = &step.holder {
                    petition.organ = holder.clone();
                }
                Some(petition)
            }
            (state, _) => state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::UnitKind;
    use chrono::TimeZone;

    fn registration(id: &str) -> Registration {
        let region = RegionCode::parse("340102001").unwrap();
        Registration {
            kind: ItemKind::Petition,
            channel: Channel {
                code: "0300".into(),
                name: "来访".into(),
                online: false,
                visit: true,
                province_code: "0300".into(),
            },
            registering_unit: OrgUnit {
                code: "east-t1".into(),
                name: "东城区长江街道".into(),
                kind: UnitKind::Government,
                region: region.clone(),
                parent: Some("east-xfj".into()),
                competences: Vec::new(),
            },
            region: region.clone(),
            category: Category {
                code: "020100".into(),
                name: "劳动工资".into(),
                statutory_route: None,
                province_code: "020100".into(),
            },
            title: "欠薪".into(),
            content: "拖欠工资".into(),
            petitioners: vec![NewPetitioner {
                name: "王五".into(),
                identity: Identity::Resident(ResidentId::parse(id).unwrap()),
                phone: None,
                address: String::new(),
                region,
                representative: false,
            }],
            headcount: 1,
            agent: None,
            attachments: Vec::new(),
            petitioned_at: Utc.with_ymd_and_hms(2026, 2, 3, 1, 0, 0).unwrap(),
            visited_level: None,
            major_urgent: false,
            threat: false,
            petitioned_elsewhere_before: false,
            matter_key: "020100:340102001".into(),
            province_number: String::new(),
            history: Vec::new(),
        }
    }

    fn register(priors: &[PriorItem]) -> Result<Vec<PetitionEvent>, Refusal> {
        register_with(priors, registration("11010519491231002X"))
    }

    fn register_with(
        priors: &[PriorItem],
        registration: Registration,
    ) -> Result<Vec<PetitionEvent>, Refusal> {
        let keys = ["k1".to_owned()];
        let ctx = PetitionContext {
            petitioner_keys: &keys,
            priors,
            category_route: None,
            policy: &Policy::default(),
        };
        Petition::decide(
            None,
            PetitionCommand::Register {
                case_number: "340100-2026-000001".into(),
                registration: Box::new(registration),
                receipt: Receipt {
                    idempotency_key: "k".into(),
                    request_digest: "d".into(),
                    query_code: "Q".into(),
                    registered_by: "u".into(),
                },
                at: Utc.with_ymd_and_hms(2026, 2, 3, 1, 0, 0).unwrap(),
            },
            &ctx,
        )
    }

    #[test]
    fn a_new_item_is_registered_and_a_repeat_is_linked_to_its_open_original() {
        let events = register(&[]).unwrap();
        let petition = Petition::evolve_all(None, &events).unwrap();
        assert_eq!(petition.state, State::Registered);

        let prior = PriorItem {
            id: "p0".into(),
            petitioner_key: "k1".into(),
            matter_key: "020100:340102001".into(),
            state: State::Accepted,
            linked_to: None,
            registered_at: Utc.with_ymd_and_hms(2026, 1, 3, 1, 0, 0).unwrap(),
        };
        let events = register(&[prior]).unwrap();
        let petition = Petition::evolve_all(None, &events).unwrap();
        assert_eq!(petition.state, State::Linked);
    }

    #[test]
    fn a_transferred_items_history_becomes_its_first_steps_without_moving_it() {
        let told = |kind: &str, title: &str, state| PublicStep {
            kind: kind.into(),
            title: title.into(),
            organ_name: "合肥市东城区长江街道".into(),
            text: String::new(),
            occurred_at: Utc.with_ymd_and_hms(2026, 1, 20, 1, 0, 0).unwrap(),
            state,
            holder: None,
            due_date: None,
        };
        let mut transferred = registration("11010519491231002X");
        transferred.province_number = "340100-000000007".into();
        transferred.history = vec![
            told("registered", "已登记", None),
            told("transferred_out", "转有权处理地", None),
        ];
        let events = register_with(&[], transferred).unwrap();
        let steps: Vec<&str> = events
            .iter()
            .filter_map(|e| match e {
                PetitionEvent::CaseFollowed(s) => Some(s.title.as_str()),
                PetitionEvent::Registered { registration, .. } => {
                    assert!(registration.history.is_empty(), "kept once, as steps");
                    None
                }
            })
            .collect();
        assert_eq!(steps, ["已登记", "转有权处理地"]);
        let petition = Petition::evolve_all(None, &events).unwrap();
        assert_eq!(petition.state, State::Registered, "here it starts anew");
    }

    #[test]
    fn a_case_step_of_an_unknown_petition_is_refused_for_parking() {
        let ctx = PetitionContext {
            petitioner_keys: &[],
            priors: &[],
            category_route: None,
            policy: &Policy::default(),
        };
        let step = PublicStep {
            kind: "accepted".into(),
            title: "受理告知".into(),
            organ_name: String::new(),
            text: String::new(),
            occurred_at: Utc::now(),
            state: Some(State::Accepted),
            holder: None,
            due_date: None,
        };
        let err = Petition::decide(None, PetitionCommand::FollowCase(step), &ctx).unwrap_err();
        assert_eq!(err.reason, Reason::UnknownItem);
    }
}
