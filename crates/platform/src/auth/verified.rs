//! Tokens verified before, kept until they expire. A client sends the same token with every
//! call; checking its EdDSA signature and claims again cost more than all the rest of the gate
//! (issue #9). An entry holds only for the key set that verified it: once the keys are
//! refreshed, every token is verified anew (a withdrawn key admits nobody after the refresh).

use super::Caller;
use jsonwebtoken::jwk::JwkSet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// At most this many tokens are kept; when full, the expired go, and if none had, all go.
const KEPT: usize = 10_000;

#[derive(Default)]
pub(super) struct Verified {
    tokens: Mutex<HashMap<String, Admitted>>,
}

struct Admitted {
    caller: Caller,
    /// The token's `exp` plus the leeway, in seconds since the epoch.
    until: u64,
    keys: Arc<JwkSet>,
}

impl Verified {
    /// The caller of `token` if `keys` verified it and it has not expired at `now`.
    pub(super) fn get(&self, token: &str, keys: &Arc<JwkSet>, now: u64) -> Option<Caller> {
        let tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens
            .get(token)
            .filter(|a| now <= a.until && Arc::ptr_eq(&a.keys, keys))
            .map(|a| a.caller.clone())
    }

    /// Keeps `token`, verified by `keys`, until `until`.
    pub(super) fn keep(
        &self,
        token: &str,
        caller: &Caller,
        until: u64,
        keys: Arc<JwkSet>,
        now: u64,
    ) {
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if tokens.len() >= KEPT {
            tokens.retain(|_, a| now <= a.until);
            if tokens.len() >= KEPT {
                tokens.clear();
            }
        }
        tokens.insert(
            token.to_owned(),
            Admitted {
                caller: caller.clone(),
                until,
                keys,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller() -> Caller {
        Caller {
            user_id: "u1".into(),
            name: "王五".into(),
            org_unit: "east-t1".into(),
            roles: vec!["clerk".into()],
        }
    }

    #[test]
    fn a_kept_token_holds_until_it_expires_and_for_its_keys_only() {
        let keys = Arc::new(JwkSet { keys: Vec::new() });
        let verified = Verified::default();
        verified.keep("t", &caller(), 100, keys.clone(), 50);
        assert_eq!(verified.get("t", &keys, 100), Some(caller()));
        assert_eq!(verified.get("t", &keys, 101), None, "expired");
        let refreshed = Arc::new(JwkSet { keys: Vec::new() });
        assert_eq!(verified.get("t", &refreshed, 60), None, "keys refreshed");
        assert_eq!(verified.get("other", &keys, 60), None);
    }

    #[test]
    fn a_full_cache_lets_the_expired_go_first() {
        let keys = Arc::new(JwkSet { keys: Vec::new() });
        let verified = Verified::default();
        verified.keep("lasting", &caller(), 1_000, keys.clone(), 0);
        for n in 1..KEPT {
            verified.keep(&format!("short-{n}"), &caller(), 10, keys.clone(), 0);
        }
        verified.keep("new", &caller(), 1_000, keys.clone(), 500);
        assert!(verified.get("lasting", &keys, 500).is_some());
        assert!(verified.get("new", &keys, 500).is_some());
        let kept = verified.tokens.lock().unwrap().len();
        assert_eq!(kept, 2, "the expired went, the lasting stayed");
    }
}
