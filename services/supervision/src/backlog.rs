//! 积案清单 and 包案 through the API: a campaign's list of long-unresolved items, the leader who
//! takes charge of each, closing (办结) and certified resolution (化解), and the list's 化解率
//! and 办结率.

use crate::entity::{backlog_item, backlog_list, item};
use crate::error::SupervisionError;
use crate::oversight::Oversight;
use crate::repository::{EntryRepository, entry_id};
use crate::scope::{self, date, required};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
};
use xinfang_domain::aggregate::{Actor, Aggregate};
use xinfang_domain::metrics::{Metric, Ratio};
use xinfang_domain::supervision::{Entry, EntryCommand, EntryContext, Leader};
use xinfang_domain::{Reason, Refusal};
use xinfang_platform::auth::Caller;
use xinfang_platform::policy::is_below;
use xinfang_proto::xinfang::supervision::v1::*;
use xinfang_store::Meta;

fn entry_view(i: &backlog_item::Model) -> BacklogItem {
    BacklogItem {
        list_id: i.list_id.clone(),
        petition_id: i.petition_id.clone(),
        leader_name: i.leader_name.clone().unwrap_or_default(),
        leader_post: i.leader_post.clone().unwrap_or_default(),
        target_date: i.target_date.clone().unwrap_or_default(),
        closed: i.closed,
        resolved: i.resolved,
        certified_by: i.certified_by.clone().unwrap_or_default(),
        evidence: i.evidence.clone().unwrap_or_default(),
    }
}

async fn entries(
    o: &Oversight,
    list_id: &str,
) -> Result<Vec<backlog_item::Model>, SupervisionError> {
    Ok(backlog_item::Entity::find()
        .filter(backlog_item::Column::ListId.eq(list_id))
        .order_by_asc(backlog_item::Column::PetitionId)
        .all(o.uow.db())
        .await?)
}

async fn view(o: &Oversight, list: backlog_list::Model) -> Result<BacklogList, SupervisionError> {
    let items = entries(o, &list.id).await?;
    Ok(BacklogList {
        id: list.id,
        campaign: list.campaign,
        rule: list.rule,
        items: items.iter().map(entry_view).collect(),
    })
}

/// Puts items on a list: each through the unit of work (an item there already stays as it is).
async fn add(
    o: &Oversight,
    caller: &Caller,
    list: Option<&backlog_list::Model>,
    list_id: &str,
    petition_ids: &[String],
) -> Result<(), SupervisionError> {
    let actor = Actor::system(&caller.org_unit);
    let ctx = EntryContext { actor: &actor };
    let meta = Meta::of(caller, o.clock.now());
    let (ctx, meta) = (&ctx, &meta);
    o.uow
        .run(|tx| async move {
            if let Some(list) = list {
                list.clone().into_active_model().insert(tx.txn()).await?;
            }
            for petition in petition_ids {
                tx.apply(
                    &EntryRepository,
                    &entry_id(list_id, petition),
                    meta,
                    |state| Entry::decide(state, EntryCommand::Add, ctx),
                )
                .await?;
            }
            Ok(())
        })
        .await?;
    Ok(())
}

pub async fn create(
    o: &Oversight,
    caller: &Caller,
    r: CreateBacklogListRequest,
) -> Result<BacklogList, SupervisionError> {
    let campaign = required("campaign", &r.campaign)?;
    let reference = o.reference.current();
    let scope = scope::of(&reference, caller)?;
    let list = backlog_list::Model {
        id: uuid::Uuid::now_v7().to_string(),
        campaign,
        rule: r.rule.trim().to_owned(),
        owner_unit: caller.org_unit.clone(),
        created_at: o.clock.now(),
    };
    // A rule adds the matching items: `open_for_days:N` — open and registered N days ago or more.
    let by_rule: Vec<String> = match list.rule.split_once(':') {
        None if list.rule.is_empty() => Vec::new(),
        Some(("open_for_days", days)) => {
            let days: u64 = days.trim().parse().map_err(|_| {
                SupervisionError::field("rule", "open_for_days:N takes a number of days")
            })?;
            let since = o
                .clock
                .today()
                .checked_sub_days(chrono::Days::new(days))
                .unwrap_or_default()
                .to_string();
            item::Entity::find()
                .filter(scope::items(&scope))
                .filter(item::Column::DueDate.is_not_null())
                .filter(item::Column::RegisteredOn.lte(since))
                .all(o.uow.db())
                .await?
                .into_iter()
                .map(|i| i.petition_id)
                .collect()
        }
        _ => {
            return Err(SupervisionError::field(
                "rule",
                "empty (items by hand) or open_for_days:N",
            ));
        }
    };
    add(o, caller, Some(&list), &list.id, &by_rule).await?;
    view(o, list).await
}

pub async fn add_items(
    o: &Oversight,
    caller: &Caller,
    r: AddBacklogItemsRequest,
) -> Result<BacklogList, SupervisionError> {
    let reference = o.reference.current();
    let list = scope::list(o.uow.db(), &reference, caller, &r.list_id).await?;
    for id in &r.petition_ids {
        scope::item(o.uow.db(), &reference, caller, id).await?;
    }
    add(o, caller, None, &list.id, &r.petition_ids).await?;
    view(o, list).await
}

/// One change of an entry of a list the caller sees.
async fn change(
    o: &Oversight,
    caller: &Caller,
    list_id: &str,
    petition_id: &str,
    command: EntryCommand,
) -> Result<BacklogItem, SupervisionError> {
    let reference = o.reference.current();
    let list = scope::list(o.uow.db(), &reference, caller, list_id).await?;
    let petition = required("petition_id", petition_id)?;
    let actor = Actor {
        user: caller.user_id.clone(),
        unit: caller.org_unit.clone(),
        roles: caller.roles.clone(),
    };
    let ctx = EntryContext { actor: &actor };
    let id = entry_id(&list.id, &petition);
    o.uow
        .execute(
            &EntryRepository,
            &id,
            &Meta::of(caller, o.clock.now()),
            |state| Entry::decide(state, command.clone(), &ctx),
        )
        .await?;
    let row = backlog_item::Entity::find_by_id((list.id, petition))
        .one(o.uow.db())
        .await?
        .ok_or_else(|| anyhow::anyhow!("backlog entry {id} vanished"))?;
    Ok(entry_view(&row))
}

pub async fn assign_leader(
    o: &Oversight,
    caller: &Caller,
    r: AssignLeaderPackageRequest,
) -> Result<BacklogItem, SupervisionError> {
    let leader = Leader {
        name: required("leader_name", &r.leader_name)?,
        post: r.leader_post.trim().to_owned(),
        target: date("target_date", &r.target_date)?,
    };
    change(
        o,
        caller,
        &r.list_id,
        &r.petition_id,
        EntryCommand::AssignLeader(leader),
    )
    .await
}

pub async fn close(
    o: &Oversight,
    caller: &Caller,
    r: CloseBacklogItemRequest,
) -> Result<BacklogItem, SupervisionError> {
    let on = o.clock.today();
    change(
        o,
        caller,
        &r.list_id,
        &r.petition_id,
        EntryCommand::Close { on },
    )
    .await
}

pub async fn certify(
    o: &Oversight,
    caller: &Caller,
    r: CertifyResolutionRequest,
) -> Result<BacklogItem, SupervisionError> {
    // 化解 is certified from above: never by the unit that holds or registered the item.
    let reference = o.reference.current();
    let item = scope::item(o.uow.db(), &reference, caller, &r.petition_id).await?;
    for holder in [Some(&item.registering_unit), item.organ_code.as_ref()]
        .into_iter()
        .flatten()
    {
        if !is_below(&reference.org, holder, &caller.org_unit) {
            return Err(Refusal::new(
                Reason::OutOfScope,
                format!(
                    "{} cannot certify the resolution of an item {holder} holds: only a unit above it",
                    caller.org_unit
                ),
            )
            .into());
        }
    }
    let command = EntryCommand::Certify {
        evidence: required("evidence", &r.evidence)?,
        on: o.clock.today(),
    };
    change(o, caller, &r.list_id, &r.petition_id, command).await
}

/// 化解率 and 办结率 of one backlog list.
pub async fn metrics(
    o: &Oversight,
    caller: &Caller,
    list_id: &str,
    metrics: &[Metric],
) -> Result<Vec<(String, Metric, Ratio)>, SupervisionError> {
    let list = scope::list(o.uow.db(), &o.reference.current(), caller, list_id).await?;
    let items = entries(o, &list.id).await?;
    let total = items.len() as u64;
    let resolved = items.iter().filter(|i| i.resolved).count() as u64;
    let closed = items.iter().filter(|i| i.closed).count() as u64;
    Ok(metrics
        .iter()
        .filter_map(|m| match m {
            Metric::ResolutionRate => Some((list.id.clone(), *m, Ratio::new(resolved, total))),
            Metric::ClosureRate => Some((list.id.clone(), *m, Ratio::new(closed, total))),
            _ => None,
        })
        .collect())
}
