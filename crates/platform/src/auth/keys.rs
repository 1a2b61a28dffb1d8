//! Signing keys (Ed25519, JWT `EdDSA`): the embedded node's own dev key, a test's, or one printed
//! by `xinfang keys generate` for an identity provider. Production services never hold one: they
//! verify against the provider's public keys (a JWKS).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest, Sha256};
use std::path::Path;

use super::Claims;

pub struct SigningKey {
    key: ed25519_dalek::SigningKey,
    kid: String,
}

impl SigningKey {
    fn new(key: ed25519_dalek::SigningKey) -> Self {
        let digest = Sha256::digest(key.verifying_key().as_bytes());
        let kid = hex::encode(&digest[..8]);
        Self { key, kid }
    }

    pub fn generate() -> Self {
        Self::new(ed25519_dalek::SigningKey::from_bytes(&rand::random()))
    }

    pub fn from_pem(pem: &str) -> Result<Self, String> {
        ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map(Self::new)
            .map_err(|e| format!("not an Ed25519 private key in PKCS#8 PEM: {e}"))
    }

    pub fn to_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(Default::default())
            .map(|pem| pem.to_string())
            .expect("an Ed25519 key encodes")
    }

    /// The key in `path`, or a new one written there (readable by its owner only).
    pub fn load_or_create(path: &Path) -> anyhow::Result<Self> {
        if path.exists() {
            let pem = std::fs::read_to_string(path)?;
            return Self::from_pem(&pem).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let key = Self::generate();
        std::fs::write(path, key.to_pem())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(key)
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes()),
        })
    }

    /// The public key as a JWKS, the form identity providers publish.
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({ "keys": [self.jwk()] })
    }

    /// A signed token for `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        let der = self.key.to_pkcs8_der().expect("an Ed25519 key encodes");
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
            .expect("EdDSA signing with an in-memory key does not fail")
    }
}
