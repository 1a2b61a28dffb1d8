//! Mutual TLS of the province link: the hub serves with its certificate and asks every caller
//! for one signed by the link's CA; a node connects with its own, which names its region
//! (`340100.node.xinfang`). The hub lets a certificate speak for the node it names only — the
//! bearer token still says which user and role. `xinfang certs` makes a dev CA and certificates.

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};
use xinfang_platform::config::LinkTls;

/// The name a node's certificate carries for its region.
pub fn node_name(region: &str) -> String {
    format!("{region}.node.xinfang")
}

fn read(setting: &str, path: &str) -> anyhow::Result<String> {
    anyhow::ensure!(!path.is_empty(), "{setting} is required for mutual TLS");
    std::fs::read_to_string(path).with_context(|| format!("{setting} {path:?}"))
}

fn identity(tls: &LinkTls) -> anyhow::Result<(Certificate, Identity)> {
    let ca = read("exchange.tls.ca_file", &tls.ca_file)?;
    let cert = read("exchange.tls.cert_file", &tls.cert_file)?;
    let key = read("exchange.tls.key_file", &tls.key_file)?;
    Ok((Certificate::from_pem(ca), Identity::from_pem(cert, key)))
}

/// The hub's side: its certificate, and the CA its callers' certificates must come from. A
/// certificate is asked of every caller but required only by the calls of a node's link (the
/// province's clerks call with their token alone).
pub fn server(tls: &LinkTls) -> anyhow::Result<ServerTlsConfig> {
    let (ca, identity) = identity(tls)?;
    Ok(ServerTlsConfig::new()
        .identity(identity)
        .client_ca_root(ca)
        .client_auth_optional(true))
}

/// A node's side: its certificate, and the CA the hub's must come from.
pub fn client(tls: &LinkTls) -> anyhow::Result<ClientTlsConfig> {
    let (ca, identity) = identity(tls)?;
    Ok(ClientTlsConfig::new().ca_certificate(ca).identity(identity))
}

/// Whether the caller's certificate (verified against the CA by the handshake) names `region`.
pub fn names_node(certs: Option<&Arc<Vec<CertificateDer<'static>>>>, region: &str) -> bool {
    let Some(leaf) = certs.and_then(|c| c.first()) else {
        return false;
    };
    let Ok(name) = ServerName::try_from(node_name(region)) else {
        return false;
    };
    webpki::EndEntityCert::try_from(leaf)
        .is_ok_and(|cert| cert.verify_is_valid_for_subject_name(&name).is_ok())
}

/// A dev set of PEM files: a CA, the hub's certificate for `hub_names` (DNS names or IP
/// addresses), one client certificate per node region.
pub struct DevCertificates {
    /// (file name, PEM text)
    pub files: Vec<(String, String)>,
}

pub fn dev_certificates(hub_names: &[String], nodes: &[String]) -> anyhow::Result<DevCertificates> {
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "xinfang exchange dev CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let mut files = vec![("ca.pem".to_owned(), ca_cert.pem())];
    let mut leaf = |file: &str, names: Vec<String>, usage| -> anyhow::Result<()> {
        let mut params = CertificateParams::new(names.clone())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &issuer)?;
        files.push((format!("{file}.pem"), cert.pem()));
        files.push((format!("{file}-key.pem"), key.serialize_pem()));
        Ok(())
    };
    leaf(
        "hub",
        hub_names.to_vec(),
        ExtendedKeyUsagePurpose::ServerAuth,
    )?;
    for region in nodes {
        leaf(
            &format!("node-{region}"),
            vec![node_name(region)],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
    }
    Ok(DevCertificates { files })
}
