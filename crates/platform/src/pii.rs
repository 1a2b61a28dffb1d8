//! Personal data at rest (architecture.md, Security): identity and phone numbers are sealed with
//! AES-256-GCM and found through a keyed hash (HMAC-SHA256), so a copy of the database alone
//! reveals neither and equal numbers still match.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error("{key} must be base64 of exactly 32 bytes")]
    BadKey { key: &'static str },
    #[error("a sealed value could not be opened (wrong key or damaged data)")]
    Unseal,
}

#[derive(Clone)]
pub struct PiiVault {
    cipher: Aes256Gcm,
    hash_key: Vec<u8>,
}

impl std::fmt::Debug for PiiVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiVault(..)")
    }
}

fn key_bytes(value: &str, key: &'static str) -> Result<Vec<u8>, PiiError> {
    match STANDARD.decode(value.trim()) {
        Ok(bytes) if bytes.len() == 32 => Ok(bytes),
        _ => Err(PiiError::BadKey { key }),
    }
}

impl PiiVault {
    pub fn new(settings: &crate::config::PiiSettings) -> Result<Self, PiiError> {
        let seal = key_bytes(&settings.seal_key, "pii.seal_key")?;
        let hash_key = key_bytes(&settings.hash_key, "pii.hash_key")?;
        let cipher = Aes256Gcm::new_from_slice(&seal).map_err(|_| PiiError::BadKey {
            key: "pii.seal_key",
        })?;
        Ok(Self { cipher, hash_key })
    }

    /// base64(nonce ‖ ciphertext); a fresh random nonce each time.
    pub fn seal(&self, plain: &str) -> String {
        let nonce_bytes: [u8; 12] = rand::random();
        let nonce = Nonce::from_slice(&nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(nonce, plain.as_bytes())
            .expect("AES-GCM encryption of an in-memory buffer does not fail");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        STANDARD.encode(out)
    }

    pub fn open(&self, sealed: &str) -> Result<String, PiiError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| PiiError::Unseal)?;
        if bytes.len() < 12 {
            return Err(PiiError::Unseal);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| PiiError::Unseal)?;
        String::from_utf8(plain).map_err(|_| PiiError::Unseal)
    }

    /// Hex HMAC-SHA256: equal inputs give equal hashes, without the key nothing.
    pub fn hash(&self, plain: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.hash_key)
            .expect("HMAC takes any key length");
        mac.update(plain.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault() -> PiiVault {
        PiiVault::new(&crate::config::Settings::default().pii).unwrap()
    }

    #[test]
    fn sealed_values_open_again_and_do_not_show_the_number() {
        let v = vault();
        let sealed = v.seal("11010519491231002X");
        assert!(!sealed.contains("19491231"));
        assert_ne!(
            sealed,
            v.seal("11010519491231002X"),
            "a fresh nonce each time"
        );
        assert_eq!(v.open(&sealed).unwrap(), "11010519491231002X");
    }

    #[test]
    fn hashes_match_for_equal_numbers_only() {
        let v = vault();
        assert_eq!(v.hash("a"), v.hash("a"));
        assert_ne!(v.hash("a"), v.hash("b"));
    }

    #[test]
    fn a_short_key_is_refused_naming_it() {
        let mut s = crate::config::Settings::default().pii;
        s.hash_key = "c2hvcnQ=".into();
        assert_eq!(
            PiiVault::new(&s).unwrap_err().to_string(),
            "pii.hash_key must be base64 of exactly 32 bytes"
        );
    }
}
