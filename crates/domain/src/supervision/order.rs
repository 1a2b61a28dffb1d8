//! 督办单 — the supervision order (supervision's second aggregate): issued to the organ whose
//! limit passed, answered in writing whether it complied (Art. 40), and escalated to the unit
//! above when the reply is late.

use crate::aggregate::{Actor, Aggregate};
use crate::clock::{Calendar, Limits, due_date};
use crate::reference::OrgTree;
use crate::{Reason, Refusal};
use chrono::{DateTime, NaiveDate, Utc};

/// The organ's written reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub complied: bool,
    pub text: String,
    pub at: DateTime<Utc>,
    /// Given after the reply date.
    pub late: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub petition_id: String,
    pub organ: String,
    pub region: String,
    /// The limit that passed (`triage`, `handling`, ...), or `manual`.
    pub limit: String,
    pub due: NaiveDate,
    pub reason: String,
    pub issued_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub reply_due: NaiveDate,
    pub reply: Option<Reply>,
    pub escalated_to: Option<String>,
}

impl Order {
    /// The day the watcher looks at the order again: after its reply date, until it is
    /// answered or escalated.
    pub fn next_check(&self) -> Option<NaiveDate> {
        (self.reply.is_none() && self.escalated_to.is_none())
            .then(|| self.reply_due.succ_opt())
            .flatten()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderCommand {
    Issue {
        petition_id: String,
        organ: String,
        region: String,
        limit: String,
        due: NaiveDate,
        reason: String,
        at: DateTime<Utc>,
    },
    Reply {
        complied: bool,
        text: String,
        at: DateTime<Utc>,
    },
    /// The watcher: a reply not given by its date goes one level up.
    EscalateIfLate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    Issued {
        petition_id: String,
        organ: String,
        region: String,
        limit: String,
        due: NaiveDate,
        reason: String,
        issued_on: NaiveDate,
        issued_at: DateTime<Utc>,
        reply_due: NaiveDate,
    },
    Replied(Reply),
    Escalated {
        from: String,
        to: String,
    },
}

pub struct OrderContext<'a> {
    pub actor: &'a Actor,
    pub today: NaiveDate,
    pub org: &'a OrgTree,
    pub calendar: &'a Calendar,
    pub limits: &'a Limits,
}

impl OrderContext<'_> {
    /// The unit above the organ, or the province from the top of the node.
    fn above(&self, organ: &str) -> String {
        self.org
            .parent_of(organ)
            .map_or_else(|| "province".to_owned(), |u| u.code.clone())
    }
}

impl Aggregate for Order {
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Context<'a> = OrderContext<'a>;

    fn decide(
        state: Option<&Order>,
        command: OrderCommand,
        ctx: &OrderContext<'_>,
    ) -> Result<Vec<OrderEvent>, Refusal> {
        match (state, command) {
            (
                None,
                OrderCommand::Issue {
                    petition_id,
                    organ,
                    region,
                    limit,
                    due,
                    reason,
                    at,
                },
            ) => {
                if organ.is_empty() {
                    return Err(Refusal::new(
                        Reason::NoResponsibleOrgan,
                        "the item has no responsible organ to supervise yet",
                    ));
                }
                let reply_due = due_date(ctx.calendar, &ctx.limits.order_reply, ctx.today, &[], 0)
                    .map_err(|e| Refusal::new(Reason::IllegalTransition, e.to_string()))?
                    .due;
                Ok(vec![OrderEvent::Issued {
                    petition_id,
                    organ,
                    region,
                    limit,
                    due,
                    reason,
                    issued_on: ctx.today,
                    issued_at: at,
                    reply_due,
                }])
            }
            (Some(_), OrderCommand::Issue { .. }) => Err(Refusal::new(
                Reason::OrderAlreadyIssued,
                "this supervision order exists already",
            )),
            (None, _) => Err(Refusal::new(Reason::NotFound, "no such supervision order")),
            (Some(order), OrderCommand::Reply { complied, text, at }) => {
                if order.organ != ctx.actor.unit {
                    return Err(Refusal::new(
                        Reason::NotAddressee,
                        format!("no such order addressed to {}", ctx.actor.unit),
                    ));
                }
                if order.reply.is_some() {
                    return Err(Refusal::new(
                        Reason::OrderAlreadyReplied,
                        "this order was already replied to",
                    ));
                }
                let late = ctx.today > order.reply_due;
                let mut events = vec![OrderEvent::Replied(Reply {
                    complied,
                    text,
                    at,
                    late,
                })];
                // A late reply escalates the order as the watcher would have.
                if late && order.escalated_to.is_none() {
                    events.push(OrderEvent::Escalated {
                        from: order.organ.clone(),
                        to: ctx.above(&order.organ),
                    });
                }
                Ok(events)
            }
            (Some(order), OrderCommand::EscalateIfLate) => {
                let late = ctx.today > order.reply_due;
                Ok(
                    if late && order.reply.is_none() && order.escalated_to.is_none() {
                        vec![OrderEvent::Escalated {
                            from: order.organ.clone(),
                            to: ctx.above(&order.organ),
                        }]
                    } else {
                        Vec::new()
                    },
                )
            }
        }
    }

    fn evolve(state: Option<Order>, event: &OrderEvent) -> Option<Order> {
        match (state, event) {
            (
                None,
                OrderEvent::Issued {
                    petition_id,
                    organ,
                    region,
                    limit,
                    due,
                    reason,
                    issued_on,
                    issued_at,
                    reply_due,
                },
            ) => Some(Order {
                petition_id: petition_id.clone(),
                organ: organ.clone(),
                region: region.clone(),
                limit: limit.clone(),
                due: *due,
                reason: reason.clone(),
                issued_on: *issued_on,
                issued_at: *issued_at,
                reply_due: *reply_due,
                reply: None,
                escalated_to: None,
            }),
            (Some(mut order), OrderEvent::Replied(reply)) => {
                order.reply = Some(reply.clone());
                Some(order)
            }
            (Some(mut order), OrderEvent::Escalated { to, .. }) => {
                order.escalated_to = Some(to.clone());
                Some(order)
            }
            (state, _) => state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{self, d};

    struct World {
        org: OrgTree,
        calendar: Calendar,
        limits: Limits,
    }

    fn world() -> World {
        World {
            org: fixtures::org(),
            calendar: fixtures::calendar(),
            limits: Limits::default(),
        }
    }

    fn run(
        w: &World,
        order: Option<&Order>,
        unit: &str,
        today: &str,
        command: OrderCommand,
    ) -> Result<(Order, Vec<OrderEvent>), Refusal> {
        let actor = Actor::new("u", unit, &[]);
        let ctx = OrderContext {
            actor: &actor,
            today: d(today),
            org: &w.org,
            calendar: &w.calendar,
            limits: &w.limits,
        };
        let events = Order::decide(order, command, &ctx)?;
        Ok((Order::evolve_all(order.cloned(), &events).unwrap(), events))
    }

    fn issued(w: &World) -> Order {
        let issue = OrderCommand::Issue {
            petition_id: "p1".into(),
            organ: "east-t1".into(),
            region: "340102001".into(),
            limit: "triage".into(),
            due: d("2026-02-24"),
            reason: "逾期未分流".into(),
            at: Utc::now(),
        };
        run(w, None, "system", "2026-02-25", issue).unwrap().0
    }

    #[test]
    fn an_order_is_due_for_reply_in_five_working_days() {
        let w = world();
        let order = issued(&w);
        // 02-26, 27, 28 (调休 Saturday), 03-02, 03-03.
        assert_eq!(order.reply_due, d("2026-03-03"));
        assert_eq!(order.next_check(), Some(d("2026-03-04")));
    }

    #[test]
    fn only_the_addressee_replies_and_only_once() {
        let w = world();
        let order = issued(&w);
        let reply = || OrderCommand::Reply {
            complied: true,
            text: "已分流".into(),
            at: Utc::now(),
        };
        let err = run(&w, Some(&order), "east-t2", "2026-03-01", reply()).unwrap_err();
        assert_eq!(err.reason, Reason::NotAddressee);
        let (replied, events) = run(&w, Some(&order), "east-t1", "2026-03-01", reply()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(replied.next_check(), None);
        let err = run(&w, Some(&replied), "east-t1", "2026-03-01", reply()).unwrap_err();
        assert_eq!(err.reason, Reason::OrderAlreadyReplied);
    }

    #[test]
    fn a_late_reply_escalates_with_its_event_and_the_watcher_escalates_once() {
        let w = world();
        let order = issued(&w);
        let (late, events) = run(
            &w,
            Some(&order),
            "east-t1",
            "2026-03-05",
            OrderCommand::Reply {
                complied: false,
                text: "迟复".into(),
                at: Utc::now(),
            },
        )
        .unwrap();
        assert!(late.reply.as_ref().unwrap().late);
        assert_eq!(
            events[1],
            OrderEvent::Escalated {
                from: "east-t1".into(),
                to: "east-xfj".into()
            }
        );
        let (escalated, events) = run(
            &w,
            Some(&order),
            "system",
            "2026-03-04",
            OrderCommand::EscalateIfLate,
        )
        .unwrap();
        assert_eq!(events.len(), 1);
        let (_, again) = run(
            &w,
            Some(&escalated),
            "system",
            "2026-03-06",
            OrderCommand::EscalateIfLate,
        )
        .unwrap();
        assert!(again.is_empty());
        let (_, early) = run(
            &w,
            Some(&order),
            "system",
            "2026-03-03",
            OrderCommand::EscalateIfLate,
        )
        .unwrap();
        assert!(early.is_empty(), "not before the reply date has passed");
    }
}
