//! The bounds every call of the platform is held to (issue #15), before any handler runs: its
//! message is read whole up to `input.max_message_bytes`, decoded against the platform's
//! descriptors and held to the limits of [`InputSettings`] (a violation is answered
//! INVALID_ARGUMENT naming each field and its limit, and nothing is written). A service serves
//! `input.max_concurrent_calls` calls at once; waiting for a place, reading and handling a call
//! take at most `input.call_timeout_secs` (DEADLINE_EXCEEDED after that).

mod shape;

pub use shape::violations;

use crate::config::InputSettings;
use bytes::{Buf, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;
use tonic::Status;
use tonic::body::Body;
use tonic::codegen::http;
use tower_service::Service;
use xinfang_domain::{FieldError, Refusal};

/// The layer, shared by every service of a process.
#[derive(Clone)]
pub struct Bounds {
    limits: Arc<InputSettings>,
    pool: DescriptorPool,
    /// `input.max_concurrent_calls` places; a call waits for one.
    places: Arc<Semaphore>,
}

impl Bounds {
    pub fn new(limits: &InputSettings) -> Self {
        Self {
            limits: Arc::new(limits.clone()),
            pool: DescriptorPool::decode(xinfang_proto::FILE_DESCRIPTOR_SET)
                .expect("the descriptor set is generated at build time and valid"),
            places: Arc::new(Semaphore::new(limits.max_concurrent_calls.max(1))),
        }
    }

    /// The request message of `/package.Service/Method`, when it is one of the platform's.
    fn input_of(&self, path: &str) -> Option<MessageDescriptor> {
        let (service, method) = path.trim_start_matches('/').split_once('/')?;
        let service = self.pool.get_service_by_name(service)?;
        let method = service.methods().find(|m| m.name() == method)?;
        Some(method.input())
    }

    /// Whether the gRPC body `body` (messages, each a compression flag, a big-endian length and
    /// the message) keeps within the limits.
    fn check(&self, input: &MessageDescriptor, body: &Bytes) -> Result<(), Refusal> {
        let mut frames = body.clone();
        while frames.has_remaining() {
            if frames.remaining() < 5 {
                return Err(whole("a truncated gRPC frame".into()));
            }
            if frames.get_u8() != 0 {
                return Err(whole("compressed requests are not accepted".into()));
            }
            let length = frames.get_u32() as usize;
            if frames.remaining() < length {
                return Err(whole("a truncated gRPC frame".into()));
            }
            let message = frames.split_to(length);
            let decoded = DynamicMessage::decode(input.clone(), message)
                .map_err(|e| whole(format!("not a valid {}: {e}", input.name())))?;
            let found = violations(&decoded, &self.limits);
            if !found.is_empty() {
                return Err(Refusal::invalid(found));
            }
        }
        Ok(())
    }
}

/// A refusal of the request as a whole, not of one of its fields.
fn whole(message: String) -> Refusal {
    Refusal::invalid(vec![FieldError::new("(request)", message)])
}

/// How much of a request over the limit is still read (and dropped) before the answer, so that
/// the client, still sending, reads the refusal instead of a reset stream.
const DRAINED: usize = 32 << 20;

/// The whole body when it holds at most `max` bytes of messages (and their 5-byte frame
/// headers), else the refusal naming the limit; memory stays at `max` whatever is sent.
async fn read(mut body: Body, max: usize) -> Result<Bytes, Refusal> {
    let mut kept = BytesMut::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| whole(format!("the request could not be read: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen <= max + 5 {
            kept.extend_from_slice(&data);
        } else if seen > DRAINED {
            break;
        }
    }
    if seen > max + 5 {
        return Err(whole(format!("a request is at most {max} bytes")));
    }
    Ok(kept.freeze())
}

impl<S> tower_layer::Layer<S> for Bounds {
    type Service = Bounded<S>;

    fn layer(&self, inner: S) -> Bounded<S> {
        Bounded {
            inner,
            bounds: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Bounded<S> {
    inner: S,
    bounds: Bounds,
}

impl<S> Service<http::Request<Body>> for Bounded<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let Some(input) = self.bounds.input_of(request.uri().path()) else {
            // Health and reflection: tonic's own, bounded by its decoder.
            return Box::pin(self.inner.call(request));
        };
        // The service that was made ready serves this call; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let bounds = self.bounds.clone();
        Box::pin(async move {
            let limit = Duration::from_secs(bounds.limits.call_timeout_secs);
            let bounded = async {
                // A place among the calls served at once, held until the answer: waiting for
                // it, reading the body and the handler all count against the time limit.
                let _place = bounds.places.acquire().await;
                let (parts, body) = request.into_parts();
                let read = read(body, bounds.limits.max_message_bytes).await;
                match read.and_then(|bytes| bounds.check(&input, &bytes).map(|()| bytes)) {
                    Ok(bytes) => {
                        let body = Body::new(Full::new(bytes));
                        inner.call(http::Request::from_parts(parts, body)).await
                    }
                    Err(refusal) => Ok(crate::error::refused(&refusal).into_http()),
                }
            };
            match tokio::time::timeout(limit, bounded).await {
                Ok(answered) => answered,
                Err(_) => Ok(Status::deadline_exceeded(format!(
                    "the call took longer than {limit:?} and was ended"
                ))
                .into_http()),
            }
        })
    }
}
