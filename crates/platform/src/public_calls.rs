//! The citizen's own calls (online submission, tracking by query code, evaluation) need no
//! token, so they are rate-limited per client address: enough for a person, too few to guess
//! query codes.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use tonic::{Request, Status};
use xinfang_domain::{Reason, Refusal};

#[derive(Clone)]
pub struct PublicCallLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl PublicCallLimiter {
    pub fn per_minute(calls: u32) -> Self {
        let quota = Quota::per_minute(NonZeroU32::new(calls.max(1)).expect("at least one call"));
        Self {
            limiter: Arc::new(RateLimiter::keyed(quota)),
        }
    }

    /// RESOURCE_EXHAUSTED when the request's address made too many calls without a token.
    pub fn check<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let ip = request
            .remote_addr()
            .map(|a| a.ip())
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.limiter.check_key(&ip).map_err(|_| {
            crate::error::refused(&Refusal::new(
                Reason::RateLimited,
                "too many calls without a token from this address; please try again in a minute",
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_beyond_the_quota_are_refused() {
        let limiter = PublicCallLimiter::per_minute(3);
        let request = Request::new(());
        for _ in 0..3 {
            assert!(limiter.check(&request).is_ok());
        }
        let err = limiter.check(&request).unwrap_err();
        assert_eq!(err.code(), tonic::Code::ResourceExhausted);
    }
}
