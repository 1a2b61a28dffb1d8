//! 代码映射 (node role): each local code and its provincial counterpart, per table (channel,
//! content_category, region, organ, action), under a version. The node's own mapping is version
//! [`NODE_VERSION`]: channels by the channel table's `province_code`, actions by [`ACTIONS`], the
//! nation's region codes and (until the province publishes its tables) categories and organs to
//! themselves. A table the province sends down (`PublishCodeMapping`) is kept in
//! `exchange_code_mapping` and laid over it: its codes under its version, the others as before.

use crate::entity::code_mapping;
use arc_swap::ArcSwap;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use xinfang_domain::reference::ReferenceData;
use xinfang_proto::xinfang::exchange::v1::{CodeMapping, MappedCode};

/// The version of the node's own mapping.
pub const NODE_VERSION: &str = "2026.1";

/// The tables a mapping has.
pub const TABLES: [&str; 5] = ["channel", "content_category", "region", "organ", "action"];

/// The handling steps (办理环节): the node's name, the provincial action code, and the title
/// the petitioner reads of such a step.
pub const ACTIONS: &[(&str, &str, &str)] = &[
    ("forward", "02", "已转送"),
    ("assign", "03", "已交办"),
    ("redirect", "04", "请通过法定途径解决"), // 告知向有权机关提出
    ("not_accept", "05", "不予受理"),
    ("escalate", "06", "已上报"),
    ("accept", "07", "受理告知"),
    ("extend", "08", "延期告知"),
    ("answer", "09", "处理意见"),
    ("transfer", "10", "转办"),
    ("review", "11", "复查意见"),
    ("re_examination", "12", "复核意见"),
    ("terminate", "13", "终结"),
    ("province_evaluation", "14", "报省评议"),
];

/// What the petitioner reads of a step of the node's `action`.
pub fn public_title(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(local, ..)| *local == action)
        .map_or("", |(.., title)| *title)
}

/// The tables the province sent down: per table, its version and codes.
#[derive(Debug, Clone, Default)]
pub struct Sent(HashMap<String, (String, HashMap<String, String>)>);

/// The tables sent down, as the node's exchange holds them in use (swapped whole when one comes).
#[derive(Clone, Default)]
pub struct SentTables(Arc<ArcSwap<Sent>>);

impl SentTables {
    pub async fn load(db: &impl ConnectionTrait) -> Result<Self, DbErr> {
        let tables = Self::default();
        tables.reload(db).await?;
        Ok(tables)
    }

    /// Reads the kept tables again (after one was kept).
    pub async fn reload(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let mut sent: HashMap<String, (String, HashMap<String, String>)> = HashMap::new();
        for row in code_mapping::Entity::find().all(db).await? {
            let table = sent
                .entry(row.table_name)
                .or_insert_with(|| (row.version.clone(), HashMap::new()));
            table.1.insert(row.local, row.province);
        }
        self.0.store(Arc::new(Sent(sent)));
        Ok(())
    }

    pub fn current(&self) -> Arc<Sent> {
        self.0.load_full()
    }
}

/// Keeps `table` as the province sent it, in place of the one it sent before.
pub async fn keep(txn: &impl ConnectionTrait, table: &CodeMapping) -> Result<(), DbErr> {
    code_mapping::Entity::delete_many()
        .filter(code_mapping::Column::TableName.eq(&table.table))
        .exec(txn)
        .await?;
    let rows = table
        .local_to_province
        .iter()
        .map(|(local, province)| code_mapping::ActiveModel {
            table_name: sea_orm::Set(table.table.clone()),
            local: sea_orm::Set(local.clone()),
            province: sea_orm::Set(province.clone()),
            version: sea_orm::Set(table.version.clone()),
        });
    for chunk in rows.collect::<Vec<_>>().chunks(500) {
        code_mapping::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The mapping in use: the node's own, with the tables sent down over it.
pub struct Mapping<'a> {
    pub reference: &'a ReferenceData,
    pub sent: &'a Sent,
}

impl Mapping<'_> {
    /// The node's own provincial code of `local` in `table`.
    fn own(&self, table: &str, local: &str) -> String {
        match table {
            "channel" => self
                .reference
                .channels
                .get(local)
                .map_or(String::new(), |c| c.province_code.clone()),
            "action" => ACTIONS
                .iter()
                .find(|(l, ..)| *l == local)
                .map_or(String::new(), |(_, p, _)| (*p).to_owned()),
            _ => local.to_owned(),
        }
    }

    /// `local` of `table` with its provincial code and the version that gave it.
    pub fn code(&self, table: &str, local: &str) -> Option<MappedCode> {
        let sent = self
            .sent
            .0
            .get(table)
            .and_then(|(version, codes)| Some((version, codes.get(local)?)));
        Some(match sent {
            Some((version, province)) => MappedCode {
                local: local.to_owned(),
                province: province.clone(),
                mapping_version: version.clone(),
            },
            None => MappedCode {
                local: local.to_owned(),
                province: self.own(table, local),
                mapping_version: NODE_VERSION.to_owned(),
            },
        })
    }

    /// The node's action that the province's code `province` stands for, under the mapping
    /// in use.
    pub fn local_action(&self, province: &str) -> Option<&'static str> {
        ACTIONS.iter().map(|(local, ..)| *local).find(|local| {
            self.code("action", local)
                .is_some_and(|c| c.province == province)
        })
    }

    /// The whole of `table` as it is in use (codes mapped to themselves are not listed), under
    /// the version of the table sent down if there is one.
    pub fn table(&self, table: &str) -> CodeMapping {
        let mut codes: BTreeMap<String, String> = match table {
            "channel" => self
                .reference
                .channels
                .iter()
                .map(|c| (c.code.clone(), c.province_code.clone()))
                .collect(),
            "action" => ACTIONS
                .iter()
                .map(|(l, p, _)| ((*l).to_owned(), (*p).to_owned()))
                .collect(),
            _ => BTreeMap::new(),
        };
        let mut version = NODE_VERSION.to_owned();
        if let Some((sent_version, sent)) = self.sent.0.get(table) {
            version = sent_version.clone();
            codes.extend(sent.iter().map(|(l, p)| (l.clone(), p.clone())));
        }
        CodeMapping {
            table: table.to_owned(),
            version,
            local_to_province: codes.into_iter().collect(),
        }
    }
}
