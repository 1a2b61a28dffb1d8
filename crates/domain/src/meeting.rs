//! 联席会议 (domain.md, Supporting workflows): a joint meeting convened by a petition office
//! with its member units, an agenda of hard items and jurisdiction disputes (Art. 24), a
//! decision per item (lead organ, cooperating organs, measures: 约谈, 通报, 挂牌督办; a deadline),
//! follow-up, and resolution (化解) certified by the convener or a unit above the lead organ —
//! never self-declared by the organ that did the work.

use crate::aggregate::Aggregate;
use crate::reference::OrgTree;
use crate::{Reason, Refusal};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

/// 约谈, 通报, 挂牌督办.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Summons,
    Circular,
    ListedSupervision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub lead: String,
    pub cooperating: Vec<String>,
    pub measures: Vec<Measure>,
    pub deadline: NaiveDate,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    pub unit: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub on: NaiveDate,
    pub certified_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaItem {
    pub petition_id: String,
    pub case_number: String,
    /// The organs disputing jurisdiction (Art. 24); empty for a hard item.
    pub disputing: Vec<String>,
    pub decision: Option<Decision>,
    pub follow_ups: Vec<FollowUp>,
    pub resolution: Option<Resolution>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub title: String,
    pub held_on: NaiveDate,
    pub convener: String,
    pub members: Vec<String>,
    pub items: Vec<AgendaItem>,
}

/// An item put on the agenda: the petition as this node knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub petition_id: String,
    pub case_number: String,
    pub disputing: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingCommand {
    Convene {
        title: String,
        held_on: NaiveDate,
        members: Vec<String>,
    },
    AddItems(Vec<NewItem>),
    Decide {
        petition_id: String,
        decision: Decision,
    },
    FollowUp {
        petition_id: String,
        text: String,
        at: DateTime<Utc>,
    },
    CertifyResolution {
        petition_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeetingEvent {
    Convened {
        title: String,
        held_on: NaiveDate,
        convener: String,
        members: Vec<String>,
    },
    ItemAdded(AgendaItem),
    Decided {
        petition_id: String,
        decision: Decision,
    },
    FollowedUp {
        petition_id: String,
        follow_up: FollowUp,
    },
    Resolved {
        petition_id: String,
        resolution: Resolution,
    },
}

/// What a decision consults: the organisation tree, today and the unit that acts.
pub struct MeetingContext<'a> {
    pub org: &'a OrgTree,
    pub today: NaiveDate,
    pub unit: &'a str,
}

fn illegal(message: impl Into<String>) -> Refusal {
    Refusal::new(Reason::IllegalTransition, message)
}

fn known(org: &OrgTree, field: &str, unit: &str) -> Result<(), Refusal> {
    match org.unit(unit) {
        Some(_) => Ok(()),
        None => Err(Refusal::field(
            field,
            format!("{unit} is not a unit of this node's organisation tree"),
        )),
    }
}

/// Whether `unit` is `organ` or lies above it.
fn at_or_above(org: &OrgTree, unit: &str, organ: &str) -> bool {
    org.chain(organ).iter().any(|u| u.code == unit)
}

impl Meeting {
    pub fn item(&self, petition_id: &str) -> Result<&AgendaItem, Refusal> {
        self.items
            .iter()
            .find(|i| i.petition_id == petition_id)
            .ok_or_else(|| {
                Refusal::new(
                    Reason::NotOnAgenda,
                    format!("{petition_id} is not on the agenda of this meeting"),
                )
            })
    }

    fn item_mut(&mut self, petition_id: &str) -> Option<&mut AgendaItem> {
        self.items.iter_mut().find(|i| i.petition_id == petition_id)
    }

    /// The convener, or a unit above it, runs the meeting.
    fn chaired_by(&self, ctx: &MeetingContext<'_>) -> Result<(), Refusal> {
        if at_or_above(ctx.org, ctx.unit, &self.convener) {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::NotResponsibleOrgan,
                format!("the meeting is run by {}, not {}", self.convener, ctx.unit),
            ))
        }
    }

    fn member(&self, field: &str, organ: &str) -> Result<(), Refusal> {
        if organ == self.convener || self.members.iter().any(|m| m == organ) {
            Ok(())
        } else {
            Err(Refusal::new(
                Reason::NotAMember,
                format!("{organ} is not a member unit of this meeting"),
            )
            .at(field))
        }
    }

    /// Items decided at the meeting (研究事项) and of those, certified resolved (化解).
    pub fn counts(&self) -> (usize, usize) {
        let studied = self.items.iter().filter(|i| i.decision.is_some()).count();
        let resolved = self.items.iter().filter(|i| i.resolution.is_some()).count();
        (studied, resolved)
    }
}

impl Aggregate for Meeting {
    type Command = MeetingCommand;
    type Event = MeetingEvent;
    type Context<'a> = MeetingContext<'a>;

    fn decide(
        state: Option<&Meeting>,
        command: MeetingCommand,
        ctx: &MeetingContext<'_>,
    ) -> Result<Vec<MeetingEvent>, Refusal> {
        let (meeting, command) = match (state, command) {
            (Some(_), MeetingCommand::Convene { .. }) => return Ok(vec![]),
            (
                None,
                MeetingCommand::Convene {
                    title,
                    held_on,
                    members,
                },
            ) => {
                if members.is_empty() {
                    return Err(Refusal::field(
                        "member_organ_codes",
                        "a joint meeting has member units",
                    ));
                }
                for (i, m) in members.iter().enumerate() {
                    known(ctx.org, &format!("member_organ_codes[{i}]"), m)?;
                }
                let mut members = members;
                members.sort();
                members.dedup();
                return Ok(vec![MeetingEvent::Convened {
                    title,
                    held_on,
                    convener: ctx.unit.to_owned(),
                    members,
                }]);
            }
            (None, _) => return Err(Refusal::new(Reason::NotFound, "no such meeting")),
            (Some(m), command) => (m, command),
        };
        match command {
            MeetingCommand::Convene { .. } => unreachable!("decided above"),
            MeetingCommand::AddItems(items) => {
                meeting.chaired_by(ctx)?;
                let mut events = Vec::new();
                for (i, item) in items.into_iter().enumerate() {
                    for organ in &item.disputing {
                        meeting.member(&format!("items[{i}].disputing_organ_codes"), organ)?;
                    }
                    let already = meeting.items.iter().any(|a| a.petition_id == item.petition_id)
                        || events.iter().any(|e| {
                            matches!(e, MeetingEvent::ItemAdded(a) if a.petition_id == item.petition_id)
                        });
                    if !already {
                        events.push(MeetingEvent::ItemAdded(AgendaItem {
                            petition_id: item.petition_id,
                            case_number: item.case_number,
                            disputing: item.disputing,
                            decision: None,
                            follow_ups: Vec::new(),
                            resolution: None,
                        }));
                    }
                }
                Ok(events)
            }
            MeetingCommand::Decide {
                petition_id,
                decision,
            } => {
                meeting.chaired_by(ctx)?;
                let item = meeting.item(&petition_id)?;
                if item.decision.is_some() {
                    return Err(illegal("the meeting decided this item already"));
                }
                meeting.member("decision.lead_organ_code", &decision.lead)?;
                for (i, c) in decision.cooperating.iter().enumerate() {
                    meeting.member(&format!("decision.cooperating_organ_codes[{i}]"), c)?;
                }
                if !item.disputing.is_empty() && !item.disputing.contains(&decision.lead) {
                    return Err(Refusal::field(
                        "decision.lead_organ_code",
                        format!(
                            "a jurisdiction dispute is settled on one of the disputing organs ({})",
                            item.disputing.join(", ")
                        ),
                    ));
                }
                if decision.deadline < meeting.held_on {
                    return Err(Refusal::field(
                        "decision.deadline",
                        format!(
                            "the deadline falls before the meeting of {}",
                            meeting.held_on
                        ),
                    ));
                }
                Ok(vec![MeetingEvent::Decided {
                    petition_id,
                    decision,
                }])
            }
            MeetingCommand::FollowUp {
                petition_id,
                text,
                at,
            } => {
                let item = meeting.item(&petition_id)?;
                let decision = item
                    .decision
                    .as_ref()
                    .ok_or_else(|| illegal("follow-up comes after the meeting's decision"))?;
                if item.resolution.is_some() {
                    return Err(illegal("the item was certified resolved already"));
                }
                let allowed = at_or_above(ctx.org, ctx.unit, &decision.lead)
                    || decision.cooperating.iter().any(|c| c == ctx.unit)
                    || meeting.chaired_by(ctx).is_ok();
                if !allowed {
                    return Err(Refusal::new(
                        Reason::NotResponsibleOrgan,
                        format!("{} neither leads nor cooperates on this item", ctx.unit),
                    ));
                }
                Ok(vec![MeetingEvent::FollowedUp {
                    petition_id,
                    follow_up: FollowUp {
                        unit: ctx.unit.to_owned(),
                        text,
                        at,
                    },
                }])
            }
            MeetingCommand::CertifyResolution { petition_id } => {
                let item = meeting.item(&petition_id)?;
                let decision = item
                    .decision
                    .as_ref()
                    .ok_or_else(|| illegal("化解 is certified after the meeting's decision"))?;
                if item.resolution.is_some() {
                    return Ok(vec![]);
                }
                let certifier = ctx.unit != decision.lead
                    && (meeting.chaired_by(ctx).is_ok()
                        || at_or_above(ctx.org, ctx.unit, &decision.lead));
                if !certifier {
                    return Err(Refusal::new(
                        Reason::NotResponsibleOrgan,
                        "化解 is certified by the convener or a unit above the lead organ, not self-declared",
                    ));
                }
                Ok(vec![MeetingEvent::Resolved {
                    petition_id,
                    resolution: Resolution {
                        on: ctx.today,
                        certified_by: ctx.unit.to_owned(),
                    },
                }])
            }
        }
    }

    fn evolve(state: Option<Meeting>, event: &MeetingEvent) -> Option<Meeting> {
        match (state, event.clone()) {
            (
                None,
                MeetingEvent::Convened {
                    title,
                    held_on,
                    convener,
                    members,
                },
            ) => Some(Meeting {
                title,
                held_on,
                convener,
                members,
                items: Vec::new(),
            }),
            (Some(mut m), MeetingEvent::ItemAdded(item)) => {
                m.items.push(item);
                Some(m)
            }
            (
                Some(mut m),
                MeetingEvent::Decided {
                    petition_id,
                    decision,
                },
            ) => {
                if let Some(i) = m.item_mut(&petition_id) {
                    i.decision = Some(decision);
                }
                Some(m)
            }
            (
                Some(mut m),
                MeetingEvent::FollowedUp {
                    petition_id,
                    follow_up,
                },
            ) => {
                if let Some(i) = m.item_mut(&petition_id) {
                    i.follow_ups.push(follow_up);
                }
                Some(m)
            }
            (
                Some(mut m),
                MeetingEvent::Resolved {
                    petition_id,
                    resolution,
                },
            ) => {
                if let Some(i) = m.item_mut(&petition_id) {
                    i.resolution = Some(resolution);
                }
                Some(m)
            }
            (state, _) => state,
        }
    }
}
