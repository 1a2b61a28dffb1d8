//! Pushing (node role): the records after the hub's last acknowledgement, in batches, with the
//! hub's verdict on each saved as it comes. After a cut the node simply starts again from the
//! acknowledgement: what the hub stored already it stores once and answers the same way.

use crate::entity::{link, up_record};
use anyhow::Context;
use prost::Message;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use xinfang_proto::xinfang::exchange::v1::exchange_service_client::ExchangeServiceClient;
use xinfang_proto::xinfang::exchange::v1::{PushBatchRequest, PushBatchResponse, UpRecord};

pub struct Pusher {
    pub db: DatabaseConnection,
    pub hub_url: String,
    pub token_file: String,
    pub node: String,
    pub interval: Duration,
    pub batch: u64,
}

/// What one push did.
enum Pushed {
    Nothing,
    Advanced,
    /// The hub answered but acknowledged nothing new: wait before asking again.
    Stalled,
}

impl Pusher {
    pub async fn run(self, stop: CancellationToken) {
        let mut client = None;
        while !stop.is_cancelled() {
            let pause = match self.push(&mut client).await {
                Ok(Pushed::Advanced) => continue,
                Ok(Pushed::Nothing | Pushed::Stalled) => self.interval,
                Err(err) => {
                    tracing::warn!(error = %format!("{err:#}"), "exchange: push failed");
                    client = None;
                    self.note_error(&format!("{err:#}")).await;
                    self.interval.max(Duration::from_secs(1))
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }

    async fn note_error(&self, error: &str) {
        let row = link::ActiveModel {
            id: Set(1),
            last_error: Set(error.to_owned()),
            ..Default::default()
        };
        if let Err(err) = row.update(&self.db).await {
            tracing::warn!(%err, "exchange: the link's error could not be kept");
        }
    }

    async fn push(
        &self,
        client: &mut Option<ExchangeServiceClient<Channel>>,
    ) -> anyhow::Result<Pushed> {
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
            return Ok(Pushed::Nothing);
        }
        let records = rows
            .iter()
            .map(|r| UpRecord::decode(r.body.as_slice()))
            .collect::<Result<Vec<_>, _>>()
            .context("a stored record does not decode")?;
        let token = std::fs::read_to_string(&self.token_file)
            .with_context(|| format!("exchange.token_file {:?}", self.token_file))?;
        let mut request = tonic::Request::new(PushBatchRequest {
            node_region_code: self.node.clone(),
            records,
        });
        request.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {}", token.trim()))?,
        );
        let hub = match client {
            Some(hub) => hub,
            None => client.insert(ExchangeServiceClient::new(
                Channel::from_shared(self.hub_url.clone())?
                    .connect()
                    .await
                    .with_context(|| format!("connecting to the hub at {}", self.hub_url))?,
            )),
        };
        let answer = hub.push_batch(request).await?.into_inner();
        let advanced = answer.acknowledged_through as i64 > acknowledged;
        self.save(answer, acknowledged).await?;
        Ok(if advanced {
            Pushed::Advanced
        } else {
            Pushed::Stalled
        })
    }

    /// The hub's verdicts and acknowledgement, in one transaction.
    async fn save(&self, answer: PushBatchResponse, acknowledged: i64) -> anyhow::Result<()> {
        let txn = self.db.begin().await?;
        for r in &answer.results {
            up_record::ActiveModel {
                sequence: Set(r.sequence as i64),
                status: Set(if r.accepted { "accepted" } else { "rejected" }.into()),
                reject_code: Set(r.code),
                reason: Set(r.reason.clone()),
                province_number: Set(r.province_number.clone()),
                ..Default::default()
            }
            .update(&txn)
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
        txn.commit().await?;
        Ok(())
    }
}
