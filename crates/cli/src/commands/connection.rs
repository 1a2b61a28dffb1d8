//! How the petition and case commands reach a node: an endpoint, and a token for a clerk of a
//! unit (signed with the configured secret; the embedded node's convenience), $XINFANG_TOKEN,
//! or none (the citizen's calls).

use anyhow::Context;
use std::net::SocketAddr;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use xinfang_platform::config::Settings;

#[derive(clap::Args, Clone)]
pub struct Connection {
    /// The service endpoint; defaults to the configured listen address.
    #[arg(long, global = true)]
    endpoint: Option<String>,
    /// Act as a clerk of this unit, e.g. east-t1 (roles from --role).
    #[arg(long = "as-unit", global = true)]
    unit: Option<String>,
    #[arg(long = "role", global = true, default_value = "clerk")]
    roles: Vec<String>,
}

impl Connection {
    pub async fn channel(
        &self,
        default: impl Fn(&Settings) -> SocketAddr,
    ) -> anyhow::Result<(Channel, Option<String>)> {
        let settings = Settings::load(&[]).context("configuration")?;
        let endpoint = self
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("http://{}", default(&settings)));
        let channel = Channel::from_shared(endpoint.clone())?
            .connect()
            .await
            .with_context(|| format!("connecting to {endpoint} (is `xinfang dev` running?)"))?;
        let roles: Vec<&str> = self.roles.iter().map(String::as_str).collect();
        let token = match &self.unit {
            Some(unit) => Some(super::token::dev_token(
                &settings, "cli", unit, &roles, 600,
            )?),
            None => std::env::var("XINFANG_TOKEN").ok(),
        };
        Ok((channel, token))
    }
}

impl Connection {
    /// One call on the service listening at `default` (unless `--endpoint`): `client` makes
    /// the service's client, `call` makes the call with the token; the answer, or why not.
    pub async fn call<C, Req, Resp, Fut>(
        &self,
        default: impl Fn(&Settings) -> SocketAddr,
        client: impl FnOnce(Channel) -> C,
        message: Req,
        call: impl FnOnce(C, tonic::Request<Req>) -> Fut,
    ) -> anyhow::Result<Resp>
    where
        Fut: std::future::Future<Output = Result<tonic::Response<Resp>, tonic::Status>>,
    {
        let (channel, token) = self.channel(default).await?;
        call(client(channel), request(message, &token)?)
            .await
            .map(tonic::Response::into_inner)
            .map_err(status)
    }
}

/// A request with the bearer token, if any.
pub fn request<T>(message: T, token: &Option<String>) -> anyhow::Result<tonic::Request<T>> {
    let mut request = tonic::Request::new(message);
    if let Some(token) = token {
        request.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {token}"))?,
        );
    }
    Ok(request)
}

/// The status as a readable error.
pub fn status(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{:?}: {}", status.code(), status.message())
}

/// A time on the wire (UTC) as people read it: in the node's time zone (Beijing time).
pub fn local_time(at: Option<prost_types::Timestamp>) -> String {
    let (Some(at), Ok(settings)) = (at, Settings::load(&[])) else {
        return String::new();
    };
    let Ok(clock) = xinfang_platform::clock::NodeClock::new(&settings.clock) else {
        return String::new();
    };
    chrono::DateTime::from_timestamp(at.seconds, at.nanos.max(0) as u32)
        .map(|t| clock.show(t))
        .unwrap_or_default()
}
