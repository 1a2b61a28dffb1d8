//! Group commit for SQLite (the embedded default). Its connections commit without waiting for
//! the disk (`synchronous = NORMAL` in WAL mode: a commit only appends to the log), and a writer
//! then waits here for one `fdatasync` of the log that began after its commit — a sync that
//! covers every commit before it, taken outside SQLite's write lock. Durable on return, as with
//! `synchronous = FULL`, but one sync serves all the commits waiting instead of each holding the
//! database's one write lock through a sync of its own (on one VM a sync took 0.3 ms idle and
//! 3.8 ms while a build ran, and every writer of the node waited through each: issue #9).
//!
//! Only writes that call [`flush`](super::flush) wait for the disk: units of work, consumers,
//! the exchange's transactions. A statement run outside them is on the disk with the next sync
//! or checkpoint, and a crash of the machine (not of the process) before then can take it back.
//!
//! SQLite's log is written in order, and a crash keeps a prefix of it; SQLite syncs the log
//! itself before a checkpoint copies it into the database, and the database after. A log that is
//! gone when the sync opens it was checkpointed and removed, its commits already in the synced
//! database.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

/// One database file's log and the syncs of it.
pub(crate) struct WalFlush {
    log: PathBuf,
    /// Commits that asked for a sync so far, numbered.
    asked: AtomicU64,
    /// Every commit numbered up to this is on the disk.
    synced: AtomicU64,
    /// One sync at a time; the others wait here and are most often covered when they get it.
    syncing: Mutex<()>,
}

impl WalFlush {
    pub(crate) fn new(database_file: &Path) -> Self {
        let mut log = database_file.as_os_str().to_owned();
        log.push("-wal");
        Self {
            log: log.into(),
            asked: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            syncing: Mutex::new(()),
        }
    }

    /// Returns once everything committed before the call is on the disk.
    pub(crate) async fn flush(&self) -> io::Result<()> {
        self.flush_with(sync_log).await
    }

    async fn flush_with<F>(&self, sync: F) -> io::Result<()>
    where
        F: FnOnce(PathBuf) -> io::Result<()> + Send + 'static,
    {
        let mine = self.asked.fetch_add(1, Ordering::SeqCst) + 1;
        let _syncing = self.syncing.lock().await;
        if self.synced.load(Ordering::SeqCst) >= mine {
            return Ok(());
        }
        // Every commit numbered so far came before this sync begins: it covers them all.
        let covered = self.asked.load(Ordering::SeqCst);
        let log = self.log.clone();
        tokio::task::spawn_blocking(move || sync(log))
            .await
            .map_err(io::Error::other)??;
        self.synced.fetch_max(covered, Ordering::SeqCst);
        Ok(())
    }
}

fn sync_log(log: PathBuf) -> io::Result<()> {
    match std::fs::File::open(&log) {
        Ok(file) => file.sync_data(),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Many commits waiting at once share few syncs, and none returns before a sync that began
    /// after it asked.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_flushes_share_syncs_and_each_waits_for_one_begun_after_it() {
        let flush = Arc::new(WalFlush::new(Path::new("unused.db")));
        let syncs = Arc::new(std::sync::Mutex::new(Vec::new()));
        let callers = (0..40).map(|_| {
            let (flush, syncs) = (flush.clone(), syncs.clone());
            tokio::spawn(async move {
                let asked = std::time::Instant::now();
                flush
                    .flush_with({
                        let syncs = syncs.clone();
                        move |_| {
                            let began = std::time::Instant::now();
                            std::thread::sleep(Duration::from_millis(20));
                            syncs.lock().unwrap().push(began);
                            Ok(())
                        }
                    })
                    .await
                    .unwrap();
                let returned = std::time::Instant::now();
                let syncs = syncs.lock().unwrap();
                assert!(
                    syncs
                        .iter()
                        .any(|began| *began >= asked && *began <= returned),
                    "a flush returned without a sync begun after it asked"
                );
            })
        });
        for caller in callers.collect::<Vec<_>>() {
            caller.await.unwrap();
        }
        let count = syncs.lock().unwrap().len();
        assert!(count >= 1);
        assert!(count < 20, "40 waiting commits took {count} syncs");
    }

    #[tokio::test]
    async fn a_log_that_is_gone_was_checkpointed_and_needs_no_sync() {
        let dir = std::env::temp_dir().join(format!("wal-flush-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let flush = WalFlush::new(&dir.join("none.db"));
        flush.flush().await.unwrap();
        std::fs::write(dir.join("some.db-wal"), b"log").unwrap();
        WalFlush::new(&dir.join("some.db")).flush().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
