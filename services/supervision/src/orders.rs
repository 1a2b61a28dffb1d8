//! 督办单 through the API: listing the orders of the caller's region, issuing one by hand, and
//! the organ's written reply (Art. 40).

use crate::entity::order;
use crate::error::SupervisionError;
use crate::oversight::Oversight;
use crate::repository::{OrderRepository, order_from_row};
use crate::scope::{self, required};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use xinfang_domain::aggregate::{Actor, Aggregate};
use xinfang_domain::supervision::{Order, OrderCommand};
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::is_below;
use xinfang_proto::xinfang::supervision::v1::*;
use xinfang_store::Meta;

fn actor(caller: &Caller) -> Actor {
    Actor {
        user: caller.user_id.clone(),
        unit: caller.org_unit.clone(),
        roles: caller.roles.clone(),
    }
}

pub fn view(id: &str, o: &Order) -> SupervisionOrder {
    SupervisionOrder {
        id: id.to_owned(),
        petition_id: o.petition_id.clone(),
        organ_code: o.organ.clone(),
        reply_due_date: o.reply_due.to_string(),
        reason: o.reason.clone(),
        issued_at: Some(xinfang_events::envelope::timestamp(o.issued_at)),
        replied: o.reply.is_some(),
        complied: o.reply.as_ref().is_some_and(|r| r.complied),
        reply_text: o.reply.as_ref().map(|r| r.text.clone()).unwrap_or_default(),
        replied_at: o
            .reply
            .as_ref()
            .map(|r| xinfang_events::envelope::timestamp(r.at)),
        escalated: o.escalated_to.is_some(),
    }
}

pub async fn list(
    o: &Oversight,
    caller: &Caller,
    r: ListSupervisionOrdersRequest,
    limit: u64,
) -> Result<ListSupervisionOrdersResponse, SupervisionError> {
    let scope = scope::of(&o.reference.current(), caller)?;
    let mut query = order::Entity::find().filter(scope::orders(&scope));
    if !r.organ_code.is_empty() {
        query = query.filter(order::Column::OrganCode.eq(r.organ_code.as_str()));
    }
    if r.unanswered_only {
        query = query.filter(order::Column::RepliedAt.is_null());
    }
    if !r.page_token.is_empty() {
        query = query.filter(order::Column::Id.gt(r.page_token.as_str()));
    }
    let mut rows = query
        .order_by_asc(order::Column::Id)
        .limit(limit + 1)
        .all(o.uow.db())
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next_page_token = match (more, rows.last()) {
        (true, Some(last)) => last.id.clone(),
        _ => String::new(),
    };
    let orders = rows
        .into_iter()
        .map(|row| {
            let id = row.id.clone();
            order_from_row(row).map(|v| view(&id, &v.state))
        })
        .collect::<Result<_, _>>()?;
    Ok(ListSupervisionOrdersResponse {
        orders,
        next_page_token,
    })
}

/// A supervision order by hand, to the item's responsible organ; one per item a day.
pub async fn issue(
    o: &Oversight,
    caller: &Caller,
    r: IssueSupervisionOrderRequest,
) -> Result<SupervisionOrder, SupervisionError> {
    let reference = o.reference.current();
    let item = scope::item(o.uow.db(), &reference, caller, &r.petition_id).await?;
    let reason = required("reason", &r.reason)?;
    // A supervisor supervises the units below its own, never its own or one above.
    if let Some(organ) = &item.organ_code
        && !is_below(&reference.org, organ, &caller.org_unit)
    {
        return Err(Refusal::new(
            Reason::OutOfScope,
            format!(
                "{organ} is not below {}: it cannot be supervised from there",
                caller.org_unit
            ),
        )
        .into());
    }
    let now = o.clock.now();
    let today = o.clock.date_of(now);
    let actor = actor(caller);
    let ctx = o.order_context(&actor, &reference, today);
    let meta = Meta::of(caller, now);
    let issue = OrderCommand::Issue {
        petition_id: item.petition_id.clone(),
        organ: item.organ_code.clone().unwrap_or_default(),
        region: item.region_code.clone(),
        limit: "manual".into(),
        due: today,
        reason,
        at: now,
    };
    let id = uuid::Uuid::now_v7().to_string();
    let (ctx, meta, issue, id_ref, petition) = (&ctx, &meta, &issue, &id, &item.petition_id);
    let saved = o
        .uow
        .run(|tx| async move {
            let issued_today = order::Entity::find()
                .filter(order::Column::PetitionId.eq(petition.as_str()))
                .filter(order::Column::LimitName.eq("manual"))
                .filter(order::Column::DueDate.eq(today.to_string()))
                .count(tx.txn().await?)
                .await?;
            if issued_today > 0 {
                return Err(Refusal::new(
                    Reason::OrderAlreadyIssued,
                    "a supervision order was already issued for this item today",
                )
                .into());
            }
            tx.apply(&OrderRepository, id_ref, meta, |state| {
                Order::decide(state, issue.clone(), ctx)
            })
            .await
        })
        .await?;
    let order = saved
        .state
        .ok_or_else(|| anyhow::anyhow!("order {id} vanished"))?;
    Ok(view(&id, &order))
}

/// The organ's reply; a late one escalates the order with its event.
pub async fn reply(
    o: &Oversight,
    caller: &Caller,
    r: ReplyToSupervisionOrderRequest,
) -> Result<SupervisionOrder, SupervisionError> {
    let text = required("text", &r.text)?;
    let id = required("order_id", &r.order_id)?;
    let reference = o.reference.current();
    let now = o.clock.now();
    let actor = actor(caller);
    let ctx = o.order_context(&actor, &reference, o.clock.date_of(now));
    let command = OrderCommand::Reply {
        complied: r.complied,
        text,
        at: now,
    };
    let saved = o
        .uow
        .execute(&OrderRepository, &id, &Meta::of(caller, now), |state| {
            // Not addressed to the caller, or not there: the same answer.
            let order = state.ok_or_else(|| {
                Refusal::new(
                    Reason::NotAddressee,
                    format!("no order {id} addressed to {}", caller.org_unit),
                )
            })?;
            Order::decide(Some(order), command.clone(), &ctx)
        })
        .await?;
    let order = saved
        .state
        .ok_or_else(|| anyhow::anyhow!("order {id} vanished"))?;
    Ok(view(&id, &order))
}
