//! The supervision order: its row (with the day the watcher looks at it again) and what each of
//! its events announces.

use crate::entity::order;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel};
use xinfang_domain::supervision::{Order, OrderEvent, Reply};
use xinfang_events::Payload;
use xinfang_proto::xinfang::events::v1 as ev;
use xinfang_store::rows::{date, text, write_row};
use xinfang_store::{Repository, Versioned, Writes};

pub struct OrderRepository;

impl Repository for OrderRepository {
    type Aggregate = Order;
    const KIND: &'static str = "order";

    async fn load(
        &self,
        db: &impl ConnectionTrait,
        id: &str,
    ) -> Result<Option<Versioned<Order>>, DbErr> {
        order::Entity::find_by_id(id.to_owned())
            .one(db)
            .await?
            .map(order_from_row)
            .transpose()
    }

    async fn store(
        &self,
        writes: &mut Writes<'_>,
        id: &str,
        state: &Order,
        _events: &[OrderEvent],
        expected: Option<i64>,
        version: i64,
    ) -> Result<bool, DbErr> {
        let row = to_row(id, state, version).into_active_model();
        let key = Condition::all().add(order::Column::Id.eq(id));
        write_row(writes, row, key, order::Column::Version, expected).await
    }

    fn announce(&self, id: &str, after: &Order, event: &OrderEvent) -> Option<(String, Payload)> {
        let payload = match event.clone() {
            OrderEvent::Issued {
                organ,
                reason,
                reply_due,
                ..
            } => Payload::SupervisionOrderIssued(ev::SupervisionOrderIssued {
                order_id: id.to_owned(),
                organ_code: organ,
                reply_due_date: reply_due.to_string(),
                reason,
            }),
            OrderEvent::Replied(reply) => {
                Payload::SupervisionOrderReplied(ev::SupervisionOrderReplied {
                    order_id: id.to_owned(),
                    complied: reply.complied,
                    late: reply.late,
                })
            }
            OrderEvent::Escalated { from, to } => {
                Payload::SupervisionOrderEscalated(ev::SupervisionOrderEscalated {
                    order_id: id.to_owned(),
                    from_organ_code: from,
                    to_unit_code: to,
                })
            }
        };
        Some((after.petition_id.clone(), payload))
    }

    fn audit(&self, event: &OrderEvent) -> (&'static str, serde_json::Value) {
        match event {
            OrderEvent::Issued {
                petition_id,
                organ,
                limit,
                due,
                ..
            } => (
                "issue_order",
                serde_json::json!({ "petition": petition_id, "organ": organ, "limit": limit, "due": due.to_string() }),
            ),
            OrderEvent::Replied(reply) => (
                "reply_order",
                serde_json::json!({ "complied": reply.complied, "late": reply.late }),
            ),
            OrderEvent::Escalated { to, .. } => ("escalate_order", serde_json::json!({ "to": to })),
        }
    }
}

fn to_row(id: &str, o: &Order, version: i64) -> order::Model {
    order::Model {
        id: id.to_owned(),
        petition_id: o.petition_id.clone(),
        organ_code: o.organ.clone(),
        region_code: o.region.clone(),
        limit_name: o.limit.clone(),
        due_date: o.due.to_string(),
        reason: o.reason.clone(),
        reply_due: o.reply_due.to_string(),
        issued_on: o.issued_on.to_string(),
        issued_at: o.issued_at,
        replied_at: o.reply.as_ref().map(|r| r.at),
        complied: o.reply.as_ref().map(|r| r.complied),
        reply_text: o.reply.as_ref().map(|r| r.text.clone()),
        late: o.reply.as_ref().is_some_and(|r| r.late),
        escalated_to: o.escalated_to.clone(),
        next_check: text(o.next_check()),
        version,
    }
}

pub fn order_from_row(row: order::Model) -> Result<Versioned<Order>, DbErr> {
    let required = |value: &str| {
        date(&Some(value.to_owned()))?.ok_or_else(|| DbErr::Type("stored date".into()))
    };
    let order = Order {
        petition_id: row.petition_id,
        organ: row.organ_code,
        region: row.region_code,
        limit: row.limit_name,
        due: required(&row.due_date)?,
        reason: row.reason,
        issued_on: required(&row.issued_on)?,
        issued_at: row.issued_at,
        reply_due: required(&row.reply_due)?,
        reply: row.replied_at.map(|at| Reply {
            complied: row.complied.unwrap_or(false),
            text: row.reply_text.clone().unwrap_or_default(),
            at,
            late: row.late,
        }),
        escalated_to: row.escalated_to,
    };
    Ok(Versioned {
        state: order,
        version: row.version,
    })
}
