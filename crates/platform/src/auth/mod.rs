//! The caller's identity (architecture.md, Security): a JWT signed with EdDSA by the identity
//! provider, naming the user, the organisational unit and the roles, verified against the
//! provider's public keys (a JWKS from a file or a URL, refreshed) with its issuer, audience,
//! expiry and not-before. Nothing else is accepted: no `alg: none`, no HMAC, no unknown key id.
//! The embedded node verifies the dev key it generated for itself. The gate (`gate`) checks every
//! call against the authorization policy before a handler runs.

mod gate;
mod keys;
mod verified;

pub use gate::Gate;
pub use keys::SigningKey;

use crate::config::AuthSettings;
use arc_swap::ArcSwap;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tonic::{Request, Status};
use xinfang_domain::{Reason, Refusal};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    /// The organisational unit code in the node's organisation tree.
    pub unit: String,
    pub roles: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
}

impl Claims {
    /// Claims for a user of `unit`, valid from now for `valid_secs`.
    pub fn new(
        settings: &AuthSettings,
        user: &str,
        name: &str,
        unit: &str,
        roles: &[&str],
        valid_secs: u64,
    ) -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self {
            sub: user.into(),
            name: name.into(),
            unit: unit.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            iss: settings.issuer.clone(),
            aud: settings.audience.clone(),
            exp: now + valid_secs,
            nbf: now,
            iat: now,
        }
    }
}

/// Who is calling, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub name: String,
    pub org_unit: String,
    pub roles: Vec<String>,
}

impl Caller {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

fn refused(message: impl Into<String>) -> Refusal {
    Refusal::new(Reason::Unauthenticated, message)
}

/// Verifies bearer tokens against a key set that can be replaced while it runs.
#[derive(Clone)]
pub struct Authenticator {
    keys: Arc<ArcSwap<JwkSet>>,
    validation: Validation,
    verified: Arc<verified::Verified>,
}

/// Where the identity provider's keys come from.
async fn fetch(source: &str) -> anyhow::Result<JwkSet> {
    let text = if source.starts_with("https://") || source.starts_with("http://") {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?
            .get(source)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?
    } else {
        std::fs::read_to_string(source.strip_prefix("file://").unwrap_or(source))?
    };
    Ok(serde_json::from_str(&text)?)
}

impl Authenticator {
    /// Verifies against `keys` as they are.
    pub fn with_keys(keys: JwkSet, settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Self {
            keys: Arc::new(ArcSwap::from_pointee(keys)),
            validation,
            verified: Arc::default(),
        }
    }

    /// The node's verifier: the identity provider's JWKS (`auth.jwks`, refreshed every
    /// `auth.jwks_refresh_secs`), or on the embedded node its own dev key.
    pub async fn start(settings: &AuthSettings, embedded: bool) -> anyhow::Result<Self> {
        let Some(source) = settings.jwks.clone() else {
            anyhow::ensure!(
                embedded,
                "auth.jwks: outside the embedded node tokens are verified against the identity \
                 provider's public keys; set auth.jwks to a JWKS file or https URL"
            );
            let key = SigningKey::load_or_create(&settings.dev_signing_key)?;
            let keys = serde_json::from_value(key.jwks())?;
            return Ok(Self::with_keys(keys, settings));
        };
        let keys = fetch(&source)
            .await
            .map_err(|e| anyhow::anyhow!("auth.jwks {source}: {e}"))?;
        let auth = Self::with_keys(keys, settings);
        let refresh = Duration::from_secs(settings.jwks_refresh_secs.max(10));
        let current = Arc::downgrade(&auth.keys);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(refresh).await;
                let Some(current) = current.upgrade() else {
                    return;
                };
                match fetch(&source).await {
                    Ok(keys) => current.store(Arc::new(keys)),
                    Err(err) => {
                        tracing::warn!(%err, %source, "auth.jwks: refresh failed; the keys in use stay")
                    }
                }
            }
        });
        Ok(auth)
    }

    pub fn verify(&self, token: &str) -> Result<Caller, Refusal> {
        let keys = self.keys.load_full();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Some(caller) = self.verified.get(token, &keys, now) {
            return Ok(caller);
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| refused(format!("invalid bearer token: {e}")))?;
        if header.alg != Algorithm::EdDSA {
            return Err(refused(format!(
                "invalid bearer token: {:?} tokens are not accepted, only EdDSA",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| refused("invalid bearer token: no key id (kid)"))?;
        let jwk = keys
            .find(&kid)
            .ok_or_else(|| refused(format!("invalid bearer token: unknown key id {kid}")))?;
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| refused(format!("invalid bearer token: key {kid}: {e}")))?;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &self.validation)
            .map_err(|e| refused(format!("invalid bearer token: {e}")))?;
        let c = data.claims;
        let caller = Caller {
            user_id: c.sub,
            name: c.name,
            org_unit: c.unit,
            roles: c.roles,
        };
        let until = c.exp.saturating_add(self.validation.leeway);
        self.verified.keep(token, &caller, until, keys, now);
        Ok(caller)
    }
}

/// The verified caller of a request, or UNAUTHENTICATED.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| crate::error::refused(&refused("this call needs a bearer token")))
}

#[cfg(test)]
mod tests;
