//! The services the portal shows, reached over gRPC: one lazily connected channel each, and the
//! two ways a call is made — as the signed-in user (their bearer token) or as the citizen (no
//! token, the citizen's address named for the rate limits) — each carrying the page's trace.

use anyhow::Context;
use std::net::{IpAddr, SocketAddr};
use tonic::Request;
use tonic::metadata::{MetadataKey, MetadataValue};
use tonic::transport::Channel;
use xinfang_platform::config::Settings;
use xinfang_platform::public_calls::FORWARDED_FOR;
use xinfang_platform::telemetry::current_trace_context;
use xinfang_proto::xinfang::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use xinfang_proto::xinfang::evaluation::v1::evaluation_service_client::EvaluationServiceClient;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::jointmeeting::v1::joint_meeting_service_client::JointMeetingServiceClient;
use xinfang_proto::xinfang::supervision::v1::supervision_service_client::SupervisionServiceClient;

#[derive(Clone)]
pub struct Backend {
    intake: Channel,
    dispatch: Channel,
    supervision: Channel,
    evaluation: Channel,
    jointmeeting: Channel,
}

/// A channel to `url`, or to the service's own listen address when `url` is empty.
fn channel(key: &str, url: &str, listen: SocketAddr) -> anyhow::Result<Channel> {
    let url = match url.trim() {
        "" => format!("http://{listen}"),
        url => url.to_owned(),
    };
    Ok(Channel::from_shared(url.clone())
        .with_context(|| format!("portal.{key}: {url:?}"))?
        .connect_lazy())
}

impl Backend {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let (p, l) = (&settings.portal, &settings.listen);
        Ok(Self {
            intake: channel("intake_url", &p.intake_url, l.intake)?,
            dispatch: channel("dispatch_url", &p.dispatch_url, l.dispatch)?,
            supervision: channel("supervision_url", &p.supervision_url, l.supervision)?,
            evaluation: channel("evaluation_url", &p.evaluation_url, l.evaluation)?,
            jointmeeting: channel("jointmeeting_url", &p.jointmeeting_url, l.jointmeeting)?,
        })
    }

    pub fn intake(&self) -> IntakeServiceClient<Channel> {
        IntakeServiceClient::new(self.intake.clone())
    }

    pub fn dispatch(&self) -> DispatchServiceClient<Channel> {
        DispatchServiceClient::new(self.dispatch.clone())
    }

    pub fn supervision(&self) -> SupervisionServiceClient<Channel> {
        SupervisionServiceClient::new(self.supervision.clone())
    }

    pub fn evaluation(&self) -> EvaluationServiceClient<Channel> {
        EvaluationServiceClient::new(self.evaluation.clone())
    }

    pub fn jointmeeting(&self) -> JointMeetingServiceClient<Channel> {
        JointMeetingServiceClient::new(self.jointmeeting.clone())
    }
}

/// A call carrying the page's trace context, so that the service's spans join the request's trace.
fn traced<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    for (key, value) in current_trace_context() {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value),
        ) {
            request.metadata_mut().insert(key, value);
        }
    }
    request
}

/// A call as the signed-in user.
pub fn as_user<T>(message: T, token: &str) -> Request<T> {
    let mut request = traced(message);
    if let Ok(value) = MetadataValue::try_from(format!("Bearer {token}")) {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A call as the citizen at `from` (counted by intake's limits as that address; intake trusts
/// the name only from an address in `public.trusted_proxies`).
pub fn as_citizen<T>(message: T, from: IpAddr) -> Request<T> {
    let mut request = traced(message);
    if let Ok(value) = MetadataValue::try_from(from.to_string()) {
        request.metadata_mut().insert(FORWARDED_FOR, value);
    }
    request
}
