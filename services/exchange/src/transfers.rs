//! 转有权处理地 at the hub (hub role): a node's item that belongs to another city is queued for
//! that city under the item's provincial number, with its content, its petitioners (sealed while
//! queued) and what the petitioner was told so far; the transfer is kept, so that each step the
//! receiving city reports of the item goes down to the city it came from. Both happen in the
//! transaction that stores the node's batch: a record is stored, and its effect queued, once.

use crate::entity::hub_transfer;
use crate::province::node_office;
use crate::queue;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter};
use std::collections::HashMap;
use xinfang_domain::reference::ReferenceData;
use xinfang_domain::region::RegionCode;
use xinfang_platform::pii::PiiVault;
use xinfang_proto::xinfang::exchange::v1::down_record::Record as Down;
use xinfang_proto::xinfang::exchange::v1::{
    ExchangeTransfer, HandlingStep, ItemNumbers, MappedCode, TransferredStep,
};

/// Why a node's transfer cannot be carried, if it cannot.
pub fn refusal(
    province: &ReferenceData,
    node: &RegionCode,
    transfer: &ExchangeTransfer,
) -> Option<String> {
    let to = transfer.to_node_region_code.as_str();
    match transfer.item.as_ref() {
        Some(item) if !item.content.is_empty() && !item.petitioners.is_empty() => {}
        _ => return Some("a transfer carries the item's content and petitioners".into()),
    }
    if to == node.as_str() {
        return Some(format!("node {node} transfers an item to itself"));
    }
    if node_office(province, to).is_none() {
        return Some(format!("{to:?} is not a city node of the province"));
    }
    None
}

/// An accepted record of the batch being stored that concerns another node.
pub enum Onward {
    /// The node's item goes to another city.
    Transfer {
        sequence: i64,
        province_number: String,
        transfer: ExchangeTransfer,
    },
    /// A step of the node's item, perhaps one another city transferred to it.
    Step {
        sequence: i64,
        province_number: String,
        step: HandlingStep,
    },
}

/// Queues what the accepted records of `node`'s batch owe other nodes, in the batch's
/// transaction.
pub async fn send_on(
    txn: &DatabaseTransaction,
    vault: &PiiVault,
    province: &ReferenceData,
    node: &RegionCode,
    onward: Vec<Onward>,
) -> Result<(), DbErr> {
    // Most batches are the node's own items: nothing to look up.
    if onward.is_empty() {
        return Ok(());
    }
    let from_name = node_office(province, node.as_str())
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let numbers: Vec<String> = onward
        .iter()
        .filter_map(|o| match o {
            Onward::Step {
                province_number, ..
            } => Some(province_number.clone()),
            Onward::Transfer { .. } => None,
        })
        .collect();
    let came_from = senders(txn, node, numbers).await?;
    for o in onward {
        match o {
            Onward::Transfer {
                sequence,
                province_number,
                mut transfer,
            } => {
                let to = transfer.to_node_region_code.clone();
                let local = transfer
                    .item
                    .as_ref()
                    .and_then(|i| i.numbers.as_ref())
                    .map(|n| n.local.clone())
                    .unwrap_or_default();
                hub_transfer::Entity::insert(
                    hub_transfer::Model {
                        province_number: province_number.clone(),
                        to_node: to.clone(),
                        from_node: node.to_string(),
                        from_local: local,
                        created_at: chrono::Utc::now(),
                    }
                    .into_active_model(),
                )
                .on_conflict(
                    OnConflict::columns([
                        hub_transfer::Column::ProvinceNumber,
                        hub_transfer::Column::ToNode,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
                if let Some(item) = transfer.item.as_mut() {
                    // Known there by its provincial number; where in the city it belongs is the
                    // city's to find.
                    item.numbers = Some(ItemNumbers {
                        province: province_number.clone(),
                        ..Default::default()
                    });
                    item.region = Some(MappedCode {
                        local: to.clone(),
                        province: to.clone(),
                        mapping_version: String::new(),
                    });
                }
                transfer.from_node_region_code = node.to_string();
                transfer.from_node_name = from_name.clone();
                let key = format!("transfer:{node}:{sequence}");
                let record = Down::TransferIn(transfer);
                queue::enqueue(txn, vault, &to, &key, &province_number, record).await?;
            }
            Onward::Step {
                sequence,
                province_number,
                mut step,
            } => {
                let Some(sender) = came_from.get(&province_number) else {
                    continue;
                };
                step.numbers = Some(ItemNumbers {
                    local: sender.from_local.clone(),
                    city: String::new(),
                    province: province_number.clone(),
                });
                let record = Down::TransferredStep(TransferredStep {
                    step: Some(step),
                    node_region_code: node.to_string(),
                    node_name: from_name.clone(),
                });
                let key = format!("step:{node}:{sequence}");
                queue::enqueue(
                    txn,
                    vault,
                    &sender.from_node,
                    &key,
                    &province_number,
                    record,
                )
                .await?;
            }
        }
    }
    Ok(())
}

/// The transfers to `node` among the items `numbers`, by provincial number.
async fn senders(
    txn: &DatabaseTransaction,
    node: &RegionCode,
    numbers: Vec<String>,
) -> Result<HashMap<String, hub_transfer::Model>, DbErr> {
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(hub_transfer::Entity::find()
        .filter(hub_transfer::Column::ToNode.eq(node.as_str()))
        .filter(hub_transfer::Column::ProvinceNumber.is_in(numbers))
        .all(txn)
        .await?
        .into_iter()
        .map(|t| (t.province_number.clone(), t))
        .collect())
}
