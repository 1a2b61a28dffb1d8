//! The hub's downward queue (hub role): per node, what the province sends down — an item it
//! assigns (省交办), another city's item that belongs to the node (转有权处理地) and the steps of
//! one the node transferred, a holiday calendar, the node's organisation, a code table — numbered by a per-node cursor
//! without gaps, served after the node's cursor and never again once the node acknowledged it.
//! The petitioners' identity and phone numbers are sealed while the record waits, and opened
//! only to serve it over the link.

use crate::entity::{hub_down, hub_node};
use prost::Message;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, Statement,
    TransactionTrait, Value,
};
use xinfang_domain::identity::mask_other_id;
use xinfang_domain::region::RegionCode;
use xinfang_platform::database;
use xinfang_platform::pii::{PiiError, PiiVault, place};
use xinfang_proto::xinfang::exchange::v1::down_record::Record;
use xinfang_proto::xinfang::exchange::v1::{DownRecord, ExchangeItem, ItemNumbers};

/// At most this many records per pull, whatever the node asks for.
pub const MAX_PULL: u64 = 500;

/// Where a petitioner's number of a queued record is sealed.
fn sealed_at(node: &str, cursor: i64, position: usize, column: &str) -> String {
    place(
        "exchange_hub_down",
        column,
        &format!("{node}/{cursor}/{position}"),
    )
}

/// Every petitioner's identity and phone number of `item` masked, as the hub shows and keeps
/// them outside the queue.
pub fn mask(item: &mut ExchangeItem) {
    for p in &mut item.petitioners {
        p.id_number = mask_other_id(&p.id_number);
        p.phone = mask_other_id(&p.phone);
    }
}

/// The item of a record that carries petitioners in full.
fn item_of(record: &mut DownRecord) -> Option<&mut ExchangeItem> {
    match record.record.as_mut()? {
        Record::Assignment(item) => Some(item),
        Record::TransferIn(transfer) => transfer.item.as_mut(),
        _ => None,
    }
}

/// Seals (or opens) every petitioner's identity and phone number of `item` in place.
fn each_number(
    item: &mut ExchangeItem,
    node: &str,
    cursor: i64,
    mut change: impl FnMut(&str, &str) -> Result<String, PiiError>,
) -> Result<(), PiiError> {
    for (i, p) in item.petitioners.iter_mut().enumerate() {
        for (column, value) in [("id_number", &mut p.id_number), ("phone", &mut p.phone)] {
            if !value.is_empty() {
                *value = change(value, &sealed_at(node, cursor, i, column))?;
            }
        }
    }
    Ok(())
}

/// The next cursor of `node`'s queue; its row stays locked until the transaction ends, so two
/// records never share a cursor and a rollback leaves no gap.
async fn next_cursor(txn: &DatabaseTransaction, node: &str) -> Result<i64, DbErr> {
    hub_node::Entity::insert(hub_node::ActiveModel {
        node: Set(node.to_owned()),
        acknowledged_through: Set(0),
        last_down: Set(0),
        pulled_through: Set(0),
    })
    .on_conflict(
        OnConflict::column(hub_node::Column::Node)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            match backend {
                sea_orm::DbBackend::Postgres => {
                    "UPDATE exchange_hub_node SET last_down = last_down + 1 WHERE node = $1 \
                     RETURNING last_down"
                }
                _ => {
                    "UPDATE exchange_hub_node SET last_down = last_down + 1 WHERE node = ? \
                     RETURNING last_down"
                }
            },
            [Value::from(node)],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("exchange_hub_node".into()))?;
    row.try_get("", "last_down")
}

/// What an assignment's idempotency key already named.
pub enum Assigned {
    New(DownRecord),
    /// The key was used before, for this node: the record as it was queued.
    Again(DownRecord),
    /// The key was used before for another node.
    OtherNode(String),
}

/// The record queued under `key`, if any.
async fn queued(txn: &DatabaseTransaction, key: &str) -> Result<Option<hub_down::Model>, DbErr> {
    hub_down::Entity::find()
        .filter(hub_down::Column::IdempotencyKey.eq(key))
        .one(txn)
        .await
}

/// Stores `record` in `node`'s queue, the petitioners' numbers sealed.
async fn store(
    txn: &DatabaseTransaction,
    vault: &PiiVault,
    node: &str,
    key: &str,
    province_number: &str,
    record: &DownRecord,
) -> Result<(), DbErr> {
    let cursor = record.cursor as i64;
    let mut sealed = record.clone();
    if let Some(item) = item_of(&mut sealed) {
        each_number(item, node, cursor, |plain, at| Ok(vault.seal(plain, at)))
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    let kind = match sealed.record {
        Some(Record::Assignment(_)) => "assignment",
        Some(Record::TransferIn(_)) => "transfer",
        Some(Record::TransferredStep(_)) => "transferred_step",
        Some(Record::CalendarUpdate(_)) => "calendar",
        Some(Record::OrganisationUpdate(_)) => "organisation",
        Some(Record::CodeTableUpdate(_)) => "code_table",
        None => "other",
    };
    hub_down::Model {
        node: node.to_owned(),
        cursor,
        kind: kind.into(),
        province_number: province_number.to_owned(),
        idempotency_key: key.to_owned(),
        body: sealed.encode_to_vec(),
        created_at: chrono::Utc::now(),
    }
    .into_active_model()
    .insert(txn)
    .await?;
    Ok(())
}

/// Queues `item` for `node` as 省交办 under a new provincial number.
pub async fn assign(
    db: &DatabaseConnection,
    vault: &PiiVault,
    node: &RegionCode,
    key: &str,
    mut item: ExchangeItem,
) -> Result<Assigned, DbErr> {
    let node = node.as_str();
    let txn = db.begin().await?;
    if let Some(row) = queued(&txn, key).await? {
        if row.node != node {
            return Ok(Assigned::OtherNode(row.node));
        }
        return served(vault, row).map(Assigned::Again);
    }
    let cursor = next_cursor(&txn, node).await?;
    // 省交办 number: the node, the mark and the cursor.
    let province_number = format!("{node}-SJ{cursor:08}");
    item.numbers = Some(ItemNumbers {
        province: province_number.clone(),
        ..item.numbers.unwrap_or_default()
    });
    let record = DownRecord {
        cursor: cursor as u64,
        record: Some(Record::Assignment(item)),
    };
    store(&txn, vault, node, key, &province_number, &record).await?;
    database::commit(db, txn).await?;
    Ok(Assigned::New(record))
}

/// Queues `record` (a calendar, a code table) for `node` once under `key`: whether it was
/// queued now.
pub async fn publish(
    db: &DatabaseConnection,
    vault: &PiiVault,
    node: &str,
    key: &str,
    record: Record,
) -> Result<bool, DbErr> {
    let txn = db.begin().await?;
    let queued = enqueue(&txn, vault, node, &format!("{key}:{node}"), "", record).await?;
    database::commit(db, txn).await?;
    Ok(queued)
}

/// Queues `record` for `node` once under `key`, in the caller's transaction: whether it was
/// queued now.
pub async fn enqueue(
    txn: &DatabaseTransaction,
    vault: &PiiVault,
    node: &str,
    key: &str,
    province_number: &str,
    record: Record,
) -> Result<bool, DbErr> {
    if queued(txn, key).await?.is_some() {
        return Ok(false);
    }
    let record = DownRecord {
        cursor: next_cursor(txn, node).await? as u64,
        record: Some(record),
    };
    store(txn, vault, node, key, province_number, &record).await?;
    Ok(true)
}

/// A queued record as served over the link: its numbers opened.
fn served(vault: &PiiVault, row: hub_down::Model) -> Result<DownRecord, DbErr> {
    let mut record =
        DownRecord::decode(row.body.as_slice()).map_err(|e| DbErr::Custom(e.to_string()))?;
    if let Some(item) = item_of(&mut record) {
        each_number(item, &row.node, row.cursor, |sealed, at| {
            vault.open(sealed, at)
        })
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    Ok(record)
}

/// `node`'s records after `after` and after what it acknowledged, at most `max`.
pub async fn pull(
    db: &DatabaseConnection,
    vault: &PiiVault,
    node: &RegionCode,
    after: u64,
    max: u64,
) -> Result<Vec<DownRecord>, DbErr> {
    let node = node.as_str();
    let acknowledged = hub_node::Entity::find_by_id(node.to_owned())
        .one(db)
        .await?
        .map_or(0, |n| n.pulled_through);
    let from = acknowledged.max(after as i64);
    hub_down::Entity::find()
        .filter(hub_down::Column::Node.eq(node))
        .filter(hub_down::Column::Cursor.gt(from))
        .order_by_asc(hub_down::Column::Cursor)
        .limit(max.clamp(1, MAX_PULL))
        .all(db)
        .await?
        .into_iter()
        .map(|row| served(vault, row))
        .collect()
}

/// What an acknowledgement did.
pub enum Acknowledged {
    Through(u64),
    /// The node acknowledged a cursor the hub never gave it.
    Beyond {
        last: u64,
    },
}

/// Moves `node`'s acknowledgement on to `through` (never back).
pub async fn acknowledge(
    db: &DatabaseConnection,
    node: &RegionCode,
    through: u64,
) -> Result<Acknowledged, DbErr> {
    let txn = db.begin().await?;
    let row = hub_node::Entity::find_by_id(node.as_str().to_owned())
        .one(&txn)
        .await?;
    let (last, acknowledged) = row
        .as_ref()
        .map_or((0, 0), |n| (n.last_down, n.pulled_through));
    if through as i64 > last {
        return Ok(Acknowledged::Beyond { last: last as u64 });
    }
    let through = acknowledged.max(through as i64);
    if let Some(row) = row
        && through > acknowledged
    {
        let mut row = row.into_active_model();
        row.pulled_through = Set(through);
        row.update(&txn).await?;
    }
    database::commit(db, txn).await?;
    Ok(Acknowledged::Through(through as u64))
}
