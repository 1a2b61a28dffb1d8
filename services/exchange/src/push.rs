//! Pushing (node role): the records after the hub's last acknowledgement, in batches, with the
//! hub's verdict on each saved as it comes. After a cut the node simply starts again from the
//! acknowledgement: what the hub stored already it stores once and answers the same way. A
//! transfer (转有权处理地) is completed as it leaves: its content, petitioners in full and the
//! petitioner's steps so far come from intake's HandOver, so the exchange keeps no identity
//! number at rest.

use crate::credential::Credential;
use crate::entity::{link, up_record};
use crate::rounds::{self, Round};
use anyhow::Context;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait, Value,
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use xinfang_platform::database;
use xinfang_proto::xinfang::exchange::v1::exchange_service_client::ExchangeServiceClient;
use xinfang_proto::xinfang::exchange::v1::up_record::Record;
use xinfang_proto::xinfang::exchange::v1::{
    ExchangeTransfer, PushBatchRequest, PushBatchResponse, RecordResult, UpRecord,
};
use xinfang_proto::xinfang::intake::v1::HandOverRequest;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;

pub struct Pusher {
    pub db: DatabaseConnection,
    pub hub: Credential,
    /// The node's intake, which hands over a transferred item (none: transfers wait).
    pub intake: Option<Credential>,
    pub node: String,
    pub interval: Duration,
    pub batch: u64,
}

#[derive(Default)]
pub struct Clients {
    hub: Option<ExchangeServiceClient<Channel>>,
    intake: Option<IntakeServiceClient<Channel>>,
}

impl Pusher {
    pub async fn run(self, stop: CancellationToken) {
        rounds::repeat(&self, &self.db, self.interval, stop).await;
    }

    /// One batch: whether the hub acknowledged more (a hub that answers without moving on is
    /// asked again after the interval).
    async fn push(&self, clients: &mut Clients) -> anyhow::Result<bool> {
        let acknowledged = link::Entity::find_by_id(1)
            .one(&self.db)
            .await?
            .context("the exchange link row is missing (run the migrations)")?
            .acknowledged_through;
        let rows = up_record::Entity::find()
            .filter(up_record::Column::Sequence.gt(acknowledged))
            .order_by_asc(up_record::Column::Sequence)
            .limit(self.batch)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(false);
        }
        let mut records = rows
            .iter()
            .map(|r| UpRecord::decode(r.body.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .context("a stored record does not decode")?;
        for record in &mut records {
            if let Some(Record::Transfer(transfer)) = record.record.as_mut() {
                self.hand_over(&mut clients.intake, transfer).await?;
            }
        }
        // What leaves for the province is on this node's disk first: a record the hub holds is
        // never one a crash could take back and number again.
        database::flush(&self.db).await?;
        let request = self.hub.request(PushBatchRequest {
            node_region_code: self.node.clone(),
            records,
        })?;
        let hub = match &mut clients.hub {
            Some(hub) => hub,
            None => clients
                .hub
                .insert(ExchangeServiceClient::new(self.hub.connect().await?)),
        };
        let answer = hub.push_batch(request).await?.into_inner();
        let advanced = answer.acknowledged_through as i64 > acknowledged;
        self.save(answer, acknowledged).await?;
        Ok(advanced)
    }

    /// Completes a transfer with what intake keeps of the item: its content, its petitioners in
    /// full, the steps the petitioner was told of here.
    async fn hand_over(
        &self,
        client: &mut Option<IntakeServiceClient<Channel>>,
        transfer: &mut ExchangeTransfer,
    ) -> anyhow::Result<()> {
        let intake = self.intake.as_ref().context(
            "a transfer to another city waits: exchange.intake_url is not set, and only intake \
             hands over the item",
        )?;
        let item = transfer.item.get_or_insert_default();
        let petition = item.numbers.as_ref().map_or("", |n| n.local.as_str());
        let client = match client {
            Some(c) => c,
            None => client.insert(IntakeServiceClient::new(intake.connect().await?)),
        };
        // Before intake has followed the transfer it refuses (the item has not left yet): the
        // round fails and is tried again.
        let whole = client
            .hand_over(intake.request(HandOverRequest {
                petition_id: petition.to_owned(),
            })?)
            .await
            .with_context(|| format!("intake's hand-over of petition {petition}"))?
            .into_inner();
        item.content = whole.content;
        item.petitioners = whole.petitioners;
        transfer.history = whole.steps;
        Ok(())
    }

    /// The hub's verdicts and acknowledgement, in one transaction.
    async fn save(&self, answer: PushBatchResponse, acknowledged: i64) -> anyhow::Result<()> {
        let txn = self.db.begin().await?;
        for chunk in answer.results.chunks(1000) {
            txn.execute_raw(verdicts(txn.get_database_backend(), chunk))
                .await?;
        }
        let mut row = link::Entity::find_by_id(1)
            .one(&txn)
            .await?
            .context("the exchange link row is missing")?
            .into_active_model();
        row.acknowledged_through = Set(acknowledged.max(answer.acknowledged_through as i64));
        row.last_contact = Set(Some(chrono::Utc::now()));
        row.last_error = Set(String::new());
        row.update(&txn).await?;
        database::commit(&self.db, txn).await?;
        Ok(())
    }
}

impl Round for Pusher {
    type Connection = Clients;
    const NAME: &'static str = "push";

    async fn round(&self, clients: &mut Option<Self::Connection>) -> anyhow::Result<bool> {
        self.push(clients.get_or_insert_default()).await
    }
}

/// Keeps the link's last error for the operators (GetLinkStatus).
pub(crate) async fn note_error(db: &DatabaseConnection, error: &str) {
    let row = link::ActiveModel {
        id: Set(1),
        last_error: Set(error.to_owned()),
        ..Default::default()
    };
    if let Err(err) = row.update(db).await {
        tracing::warn!(%err, "exchange: the link's error could not be kept");
    }
}

/// One statement that writes the hub's verdicts on `results` into their records (an UPDATE
/// from a VALUES list: PostgreSQL and SQLite 3.33+ both take it).
fn verdicts(backend: DbBackend, results: &[RecordResult]) -> Statement {
    let mut values: Vec<Value> = Vec::with_capacity(results.len() * 5);
    let mut rows = Vec::with_capacity(results.len());
    for r in results {
        let first = values.len();
        values.extend([
            Value::from(r.sequence as i64),
            Value::from(if r.accepted { "accepted" } else { "rejected" }),
            Value::from(r.code),
            Value::from(r.reason.clone()),
            Value::from(r.province_number.clone()),
        ]);
        let marks: Vec<String> = (first + 1..=first + 5)
            .map(|n| match backend {
                DbBackend::Postgres => format!("${n}"),
                _ => "?".to_owned(),
            })
            .collect();
        // PostgreSQL types the first row's literals; later rows follow them.
        let casts = match backend {
            DbBackend::Postgres if first == 0 => {
                ["::bigint", "::text", "::integer", "::text", "::text"]
            }
            _ => [""; 5],
        };
        let row: Vec<String> = marks
            .iter()
            .zip(casts)
            .map(|(m, c)| format!("{m}{c}"))
            .collect();
        rows.push(format!("({})", row.join(", ")));
    }
    Statement::from_sql_and_values(
        backend,
        format!(
            "WITH v(seq, status, code, reason, number) AS (VALUES {}) \
             UPDATE exchange_up_record SET status = v.status, reject_code = v.code, \
             reason = v.reason, province_number = v.number FROM v \
             WHERE exchange_up_record.sequence = v.seq",
            rows.join(", ")
        ),
        values,
    )
}
