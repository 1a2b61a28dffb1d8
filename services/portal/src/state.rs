//! What every handler reads: the services' clients, the token verifier, the node's clock and
//! reference data, the portal's settings.

use crate::backend::Backend;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use xinfang_platform::auth::{Authenticator, SigningKey};
use xinfang_platform::clock::NodeClock;
use xinfang_platform::config::{AuthSettings, PortalSettings};
use xinfang_platform::public_calls::TrustedProxies;
use xinfang_platform::reference::ReferenceStore;

#[derive(Clone)]
pub struct Portal(Arc<Inner>);

pub struct Inner {
    pub backend: Backend,
    pub auth: Authenticator,
    pub auth_settings: AuthSettings,
    /// The embedded node's own key: its dev login signs with it. None in production.
    pub dev_key: Option<SigningKey>,
    pub clock: NodeClock,
    pub reference: ReferenceStore,
    pub settings: PortalSettings,
    /// Days before a limit when the console warns (`supervision.warn_days_before`).
    pub warn_days: u32,
    pub proxies: TrustedProxies,
}

impl std::ops::Deref for Portal {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Portal {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// A wire time (UTC) as people read it, in Beijing time.
    pub fn show(&self, at: Option<&prost_types::Timestamp>) -> String {
        at.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
            .map(|t| self.clock.show(t))
            .unwrap_or_default()
    }

    /// A unit's name, or its code when the tree does not know it.
    pub fn unit_name(&self, code: &str) -> String {
        self.reference
            .current()
            .org
            .unit(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_owned())
    }
}
