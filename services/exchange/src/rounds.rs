//! The node's two loops over the link — pushing its records, pulling its queue — run alike:
//! a round again at once while there is more, after the interval when there is not, and after
//! a failure (kept on the link for the operators) on a fresh connection, a second later at least.

use crate::push::note_error;
use sea_orm::DatabaseConnection;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub trait Round: Sync {
    /// What a round keeps between rounds (its connections), dropped after a failure.
    type Connection: Send;
    /// For the log: "push", "pull".
    const NAME: &'static str;

    /// One round: whether there may be more to do at once.
    fn round(
        &self,
        connection: &mut Option<Self::Connection>,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

/// Runs `task`'s rounds until `stop`.
pub async fn repeat<R: Round>(
    task: &R,
    db: &DatabaseConnection,
    interval: Duration,
    stop: CancellationToken,
) {
    let mut connection = None;
    while !stop.is_cancelled() {
        let pause = match task.round(&mut connection).await {
            Ok(true) => continue,
            Ok(false) => interval,
            Err(err) => {
                let error = format!("{err:#}");
                tracing::warn!(%error, "exchange: {} failed", R::NAME);
                connection = None;
                note_error(db, &error).await;
                interval.max(Duration::from_secs(1))
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
}
