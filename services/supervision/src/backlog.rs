//! 积案清单 and 包案 through the API: a campaign's list of long-unresolved items, the leader who
//! takes charge of each, closing (办结) and certified resolution (化解), and the list's 化解率
//! and 办结率. An office's leader receptions keep a list of their own per year: each item a
//! leader received is packaged to that leader there (谁接访、谁包案), and closed and certified
//! like any other.

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
use xinfang_proto::xinfang::events::v1::ReceptionRecorded;
use xinfang_proto::xinfang::supervision::v1::*;
use xinfang_store::Meta;

/// The id prefix of the reception lists, which the annual report counts apart from the backlog.
pub const RECEPTION_LIST: &str = "reception:";

/// The list of the items an office's leaders received in a year.
pub fn reception_list(office: &str, year: i32) -> String {
    format!("{RECEPTION_LIST}{office}:{year}")
}

/// 谁接访、谁包案: the received item goes on the office's reception list of the year, packaged
/// to the receiving leader with the statutory handling limit as its target, in the transaction
/// of the event's inbox row.
pub async fn package_received(
    o: &Oversight,
    txn: &sea_orm::DatabaseTransaction,
    meta: &Meta,
    petition: &str,
    e: &ReceptionRecorded,
) -> Result<(), xinfang_store::WriteError> {
    use chrono::Datelike;
    let on = date("reception_date", &e.reception_date)
        .map_err(|_| sea_orm::DbErr::Custom(format!("reception date {:?}", e.reception_date)))?;
    let list_id = reception_list(&e.office_code, on.year());
    backlog_list::Entity::insert(backlog_list::ActiveModel {
        id: sea_orm::Set(list_id.clone()),
        campaign: sea_orm::Set(format!("{}年领导接访包案", on.year())),
        rule: sea_orm::Set(String::new()),
        owner_unit: sea_orm::Set(e.office_code.clone()),
        created_at: sea_orm::Set(meta.at),
    })
    .on_conflict(
        sea_orm::sea_query::OnConflict::new()
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let target = xinfang_domain::clock::due_date(
        &o.reference.current().calendar,
        &o.limits.handling,
        on,
        &[],
        0,
    )
    .map_err(|err| sea_orm::DbErr::Custom(err.to_string()))?
    .due;
    let actor = Actor::system(&e.office_code);
    let ctx = EntryContext { actor: &actor };
    let tx = o.uow.within(txn);
    let id = entry_id(&list_id, petition);
    for command in [
        EntryCommand::Add,
        EntryCommand::AssignLeader(Leader {
            name: e.leader_name.clone(),
            post: e.leader_post.clone(),
            target,
        }),
    ] {
        tx.apply(&EntryRepository, &id, meta, |state| {
            Entry::decide(state, command.clone(), &ctx)
        })
        .await?;
    }
    Ok(())
}

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
                list.clone()
                    .into_active_model()
                    .insert(tx.txn().await?)
                    .await?;
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
