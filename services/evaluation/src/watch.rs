//! The watcher: finds the items whose request window has passed (by the `next_check` index) and
//! lets each decide whether it is closed (办结). Every step goes through the unit of work.

use crate::desk::{Change, Desk};
use crate::entity::item;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::future::Future;
use std::time::Duration;
use xinfang_domain::evaluation::ItemCommand;
use xinfang_store::Meta;

const BATCH: u64 = 200;

pub struct Watcher {
    pub desk: Desk,
    pub interval: Duration,
}

impl Watcher {
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(err) = self.sweep().await {
                tracing::warn!(%err, "evaluation watcher: sweep failed, retrying");
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.interval) => {}
            }
        }
    }

    /// Closes every item whose window passed by today; returns how many it looked at.
    pub async fn sweep(&self) -> anyhow::Result<usize> {
        let today = self.desk.clock.today().to_string();
        let mut seen = 0;
        let mut after = String::new();
        loop {
            let due: Vec<String> = item::Entity::find()
                .select_only()
                .column(item::Column::PetitionId)
                .filter(item::Column::NextCheck.lte(today.as_str()))
                .filter(item::Column::PetitionId.gt(after.as_str()))
                .order_by_asc(item::Column::PetitionId)
                .limit(BATCH)
                .into_tuple()
                .all(self.desk.uow.db())
                .await?;
            let Some(last) = due.last() else {
                return Ok(seen);
            };
            after = last.clone();
            for id in &due {
                let meta = Meta::system("", self.desk.clock.now());
                self.desk
                    .change(Change {
                        petition_id: id,
                        meta: &meta,
                        unit: "",
                        command: ItemCommand::Check,
                        token: None,
                    })
                    .await?;
            }
            seen += due.len();
        }
    }
}
