//! The gate every call passes before a handler runs: a bearer token, when sent, must verify; the
//! caller (or the citizen, without a token) must be allowed the call by the policy. The caller is
//! left in the request's extensions for the handler.

use super::{Authenticator, Caller};
use crate::policy;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tonic::body::Body;
use tonic::codegen::http;
use tower_service::Service;
use xinfang_domain::Refusal;

#[derive(Clone)]
pub struct Gate {
    auth: Authenticator,
}

impl Gate {
    pub fn new(auth: Authenticator) -> Self {
        Self { auth }
    }

    /// Verifies the token (if any) and asks the policy; the caller on success.
    fn admit<B>(&self, request: &http::Request<B>) -> Result<Option<Caller>, Refusal> {
        let caller = match request.headers().get("authorization") {
            None => None,
            Some(value) => {
                let token = value
                    .to_str()
                    .ok()
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .ok_or_else(|| super::refused("authorization must be `Bearer <token>`"))?;
                Some(self.auth.verify(token)?)
            }
        };
        policy::authorize(request.uri().path(), caller.as_ref())?;
        Ok(caller)
    }
}

impl<S> tower_layer::Layer<S> for Gate {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            inner,
            gate: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Gated<S> {
    inner: S,
    gate: Gate,
}

impl<S, B> Service<http::Request<B>> for Gated<S>
where
    S: Service<http::Request<B>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.gate.admit(&request) {
            Ok(caller) => {
                if let Some(caller) = caller {
                    request.extensions_mut().insert(caller);
                }
                Box::pin(self.inner.call(request))
            }
            Err(refusal) => {
                let response = crate::error::refused(&refusal).into_http();
                Box::pin(async move { Ok(response) })
            }
        }
    }
}
