//! 全省汇总 (hub role): for each city node, what the province holds of it — items, steps and
//! evaluations accepted, records rejected, the last one received — and how far its link has come
//! both ways. Counted from the hub's records in one grouped query.

use crate::entity::{hub_node, hub_record};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    prelude::DateTimeUtc,
};
use std::collections::HashMap;
use xinfang_domain::reference::OrgUnit;
use xinfang_proto::xinfang::exchange::v1::NodeSummary;

/// The summaries of `nodes` (their petition offices), in their order.
pub async fn nodes(db: &DatabaseConnection, nodes: &[&OrgUnit]) -> Result<Vec<NodeSummary>, DbErr> {
    let regions: Vec<String> = nodes.iter().map(|u| u.region.to_string()).collect();
    let counts: Vec<(String, String, bool, i64, Option<DateTimeUtc>)> = hub_record::Entity::find()
        .select_only()
        .column(hub_record::Column::Node)
        .column(hub_record::Column::Kind)
        .column(hub_record::Column::Accepted)
        .column_as(
            Expr::from(Func::count(Expr::col(hub_record::Column::Sequence))),
            "n",
        )
        .column_as(
            Expr::from(Func::max(Expr::col(hub_record::Column::ReceivedAt))),
            "last",
        )
        .filter(hub_record::Column::Node.is_in(regions.clone()))
        .group_by(hub_record::Column::Node)
        .group_by(hub_record::Column::Kind)
        .group_by(hub_record::Column::Accepted)
        .into_tuple()
        .all(db)
        .await?;
    let links: HashMap<String, hub_node::Model> = hub_node::Entity::find()
        .filter(hub_node::Column::Node.is_in(regions))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.node.clone(), n))
        .collect();
    Ok(nodes
        .iter()
        .map(|unit| {
            let region = unit.region.to_string();
            let mut summary = NodeSummary {
                node_region_code: region.clone(),
                name: unit.name.clone(),
                ..Default::default()
            };
            let mut last = None;
            for (_, kind, accepted, n, at) in counts.iter().filter(|c| c.0 == region) {
                let n = *n as u64;
                match (accepted, kind.as_str()) {
                    (false, _) => summary.rejected += n,
                    (true, "item") => summary.items_accepted += n,
                    (true, "step") => summary.steps_accepted += n,
                    (true, _) => summary.evaluations_accepted += n,
                }
                last = last.max(*at);
            }
            summary.last_received = last.map(xinfang_events::envelope::timestamp);
            if let Some(link) = links.get(&region) {
                summary.acknowledged_through = link.acknowledged_through as u64;
                summary.queued = link.last_down as u64;
                summary.pulled_through = link.pulled_through as u64;
            }
            summary
        })
        .collect())
}
