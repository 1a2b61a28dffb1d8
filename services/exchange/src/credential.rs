//! Calls a node makes on another party's behalf (the hub, its own intake): each with a bearer
//! token read from a file per call, so a rotated credential (a Secret's file) is taken at once.

use anyhow::Context;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

#[derive(Clone, Debug)]
pub struct Credential {
    pub url: String,
    pub token_file: String,
    /// The setting that names the file, for the operator's error message.
    pub setting: &'static str,
    /// Mutual TLS (the link to the hub).
    pub tls: Option<ClientTlsConfig>,
}

impl Credential {
    /// `message` with the token of the file as its bearer.
    pub fn request<T>(&self, message: T) -> anyhow::Result<tonic::Request<T>> {
        let token = std::fs::read_to_string(&self.token_file)
            .with_context(|| format!("{} {:?}", self.setting, self.token_file))?;
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            "authorization",
            MetadataValue::try_from(format!("Bearer {}", token.trim()))?,
        );
        Ok(request)
    }

    /// A connection to the endpoint, with windows large enough for a batch in flight.
    pub async fn connect(&self) -> anyhow::Result<Channel> {
        let mut endpoint = Endpoint::from_shared(self.url.clone())?;
        if let Some(tls) = &self.tls {
            endpoint = endpoint.tls_config(tls.clone())?;
        }
        endpoint
            .tcp_nodelay(true)
            .initial_stream_window_size(1 << 20)
            .initial_connection_window_size(2 << 20)
            .connect()
            .await
            .with_context(|| format!("connecting to {}", self.url))
    }
}
