//! How far a partition is applied when its events are applied on several lanes at once: an event
//! of a later petition may finish before an earlier one of another, but the stored offset (where
//! a restart resumes) may pass only events that are all applied. Events not yet applied below it
//! would otherwise be lost; those above it are redelivered and skipped by the inbox.

use std::collections::{BTreeSet, HashMap};

/// The applied prefix of every partition this consumer has received from.
#[derive(Debug, Default)]
pub struct Progress {
    partitions: HashMap<(String, i32), Partition>,
}

#[derive(Debug, Default)]
struct Partition {
    /// Received and not yet applied (or given up on).
    pending: BTreeSet<i64>,
    /// The first offset received (since the partition was assigned): nothing below it is ours
    /// to store.
    first: i64,
    /// The highest offset received.
    highest: Option<i64>,
    /// The last offset handed out to be stored.
    stored: Option<i64>,
}

impl Progress {
    /// An event at `offset` was received and is on its way to a lane. Within one assignment a
    /// partition's offsets only grow: one at or below the highest seen means the partition was
    /// taken away and given back (a rebalance) and is delivered again from its committed offset,
    /// so its count starts over.
    pub fn received(&mut self, topic: &str, partition: i32, offset: i64) {
        let p = self
            .partitions
            .entry((topic.to_owned(), partition))
            .or_default();
        if p.highest.is_none_or(|highest| offset <= highest) {
            *p = Partition {
                first: offset,
                ..Partition::default()
            };
        }
        p.pending.insert(offset);
        p.highest = p.highest.max(Some(offset));
    }

    /// The event at `offset` is applied (or parked). Returns the offset to store — every event up
    /// to it is applied — when that moved forward.
    pub fn applied(&mut self, topic: &str, partition: i32, offset: i64) -> Option<i64> {
        let p = self.partitions.get_mut(&(topic.to_owned(), partition))?;
        p.pending.remove(&offset);
        let through = match p.pending.first() {
            Some(&pending) => Some(pending - 1).filter(|&o| o >= p.first)?,
            None => p.highest?,
        };
        if p.stored.is_some_and(|stored| stored >= through) {
            return None;
        }
        p.stored = Some(through);
        Some(through)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_offset_is_stored_only_when_everything_before_it_is_applied() {
        let mut progress = Progress::default();
        for offset in 10..14 {
            progress.received("t", 0, offset);
        }
        assert_eq!(
            progress.applied("t", 0, 12),
            None,
            "10 and 11 still pending"
        );
        assert_eq!(progress.applied("t", 0, 10), Some(10));
        assert_eq!(
            progress.applied("t", 0, 11),
            Some(12),
            "12 was applied earlier"
        );
        assert_eq!(progress.applied("t", 0, 13), Some(13));
    }

    #[test]
    fn partitions_move_on_their_own() {
        let mut progress = Progress::default();
        progress.received("t", 0, 5);
        progress.received("t", 1, 5);
        progress.received("u", 0, 7);
        assert_eq!(progress.applied("t", 1, 5), Some(5));
        assert_eq!(progress.applied("u", 0, 7), Some(7));
        assert_eq!(progress.applied("t", 0, 5), Some(5));
    }

    #[test]
    fn a_partition_delivered_again_from_its_committed_offset_starts_over() {
        let mut progress = Progress::default();
        for offset in 0..5 {
            progress.received("t", 0, offset);
            assert_eq!(progress.applied("t", 0, offset), Some(offset));
        }
        // Taken away before offset 4 was committed, given back: 3 and 4 come again.
        progress.received("t", 0, 3);
        progress.received("t", 0, 4);
        assert_eq!(progress.applied("t", 0, 3), Some(3));
        assert_eq!(progress.applied("t", 0, 4), Some(4));
    }

    proptest! {
        /// Whatever order the lanes finish in, the stored offsets only grow, never pass an
        /// event not yet applied, and end at the last one.
        #[test]
        fn stored_offsets_never_pass_an_unapplied_event(
            order in Just((0..40i64).collect::<Vec<_>>()).prop_shuffle()
        ) {
            let mut progress = Progress::default();
            for offset in 0..40 {
                progress.received("t", 0, offset);
            }
            let mut applied = BTreeSet::new();
            let mut last = -1;
            for offset in order {
                applied.insert(offset);
                if let Some(stored) = progress.applied("t", 0, offset) {
                    prop_assert!(stored > last);
                    prop_assert!((0..=stored).all(|o| applied.contains(&o)));
                    last = stored;
                }
            }
            prop_assert_eq!(last, 39);
        }
    }
}
