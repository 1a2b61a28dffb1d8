//! The caller's identity (architecture.md, Security): a signed JWT naming the user, the
//! organisational unit and the roles. The interceptor checks a token when one is sent and refuses
//! a bad one; handlers that need a caller ask for it, so the citizen's own calls (submit, track
//! by query code, evaluate) work without one.

use crate::config::AuthSettings;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use tonic::{Request, Status};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub name: String,
    /// The organisational unit code in the node's organisation tree.
    pub unit: String,
    pub roles: Vec<String>,
    pub iss: String,
    pub exp: u64,
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

#[derive(Clone)]
pub struct Authenticator {
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    issuer: String,
}

impl Authenticator {
    pub fn new(settings: &AuthSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        Self {
            decoding: DecodingKey::from_secret(settings.jwt_secret.as_bytes()),
            encoding: EncodingKey::from_secret(settings.jwt_secret.as_bytes()),
            validation,
            issuer: settings.issuer.clone(),
        }
    }

    pub fn verify(&self, token: &str) -> Result<Caller, Status> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| unauthenticated(format!("invalid bearer token: {e}")))?;
        let c = data.claims;
        Ok(Caller {
            user_id: c.sub,
            name: c.name,
            org_unit: c.unit,
            roles: c.roles,
        })
    }

    /// Signs a token; for the embedded node's command line and for tests. Production tokens
    /// come from the identity provider.
    pub fn issue(
        &self,
        user: &str,
        name: &str,
        unit: &str,
        roles: &[&str],
        valid_secs: u64,
    ) -> String {
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
            + valid_secs;
        let claims = Claims {
            sub: user.into(),
            name: name.into(),
            unit: unit.into(),
            roles: roles.iter().map(|r| r.to_string()).collect(),
            iss: self.issuer.clone(),
            exp,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing with an in-memory key does not fail")
    }

    /// A tonic interceptor: verifies `authorization: Bearer …` when present and stores the
    /// [`Caller`] in the request's extensions.
    pub fn interceptor(
        &self,
    ) -> impl FnMut(Request<()>) -> Result<Request<()>, Status> + Clone + use<> {
        let auth = self.clone();
        move |mut request: Request<()>| {
            let Some(value) = request.metadata().get("authorization") else {
                return Ok(request);
            };
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .ok_or_else(|| unauthenticated("authorization must be `Bearer <token>`"))?;
            let caller = auth.verify(token)?;
            request.extensions_mut().insert(caller);
            Ok(request)
        }
    }
}

/// The verified caller of a request, or UNAUTHENTICATED.
pub fn caller<T>(request: &Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| unauthenticated("this call needs a bearer token"))
}

fn unauthenticated(message: impl Into<String>) -> Status {
    crate::error::refused(&xinfang_domain::Refusal::new(
        xinfang_domain::Reason::Unauthenticated,
        message,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_a_foreign_one_is_refused() {
        let settings = crate::config::Settings::default().auth;
        let auth = Authenticator::new(&settings);
        let token = auth.issue("u1", "王五", "county-a-xfb", &["clerk"], 60);
        let caller = auth.verify(&token).unwrap();
        assert_eq!(caller.org_unit, "county-a-xfb");
        assert!(caller.has_role("clerk"));

        let other = Authenticator::new(&AuthSettings {
            jwt_secret: "another secret".into(),
            ..settings
        });
        let err = other.verify(&token).unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
    }
}
