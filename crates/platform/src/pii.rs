//! Personal data at rest (architecture.md, Security): identity and phone numbers are sealed with
//! AES-256-GCM and found through a keyed hash (HMAC-SHA256), so a copy of the database alone
//! reveals neither and equal numbers still match.
//!
//! Keys are versioned, newest first (`pii.seal_keys = "k2:…,k1:…"`): a sealed value carries the
//! id of the key that sealed it (`k2:…`) and is bound to its row and column (the AES-GCM
//! associated data), so it opens nowhere else; a hash carries its key's id the same way, and a
//! look-up asks with every listed key. `xinfang pii rotate` seals and hashes every value again
//! with the newest keys, while the services run; then the old key can be dropped.
//!
//! Values written before keys had ids (a bare base64 seal, a bare hex hash) belong to the oldest
//! listed key and to no place; they open and match until `xinfang pii rotate` rewrites them.

use crate::keyring::{KeyError, hmac_hex, parse_keys};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error)]
pub enum PiiError {
    #[error(transparent)]
    BadKey(#[from] KeyError),
    #[error(
        "a sealed value could not be opened (its key {0:?} is not listed, or the data was damaged or moved)"
    )]
    Unseal(String),
}

/// Where a sealed value belongs: its table, column and row. Sealed for one place, it opens in
/// no other (a value copied to another row or column is refused).
pub fn place(table: &str, column: &str, row: &str) -> String {
    format!("{table}.{column}/{row}")
}

#[derive(Clone)]
pub struct PiiVault {
    /// Newest first.
    seal: Vec<(String, Aes256Gcm)>,
    /// Newest first.
    hash: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for PiiVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PiiVault(..)")
    }
}

impl PiiVault {
    pub fn new(settings: &crate::config::PiiSettings) -> Result<Self, PiiError> {
        let seal = parse_keys(&settings.seal_keys, "pii.seal_keys")?
            .into_iter()
            .map(|(id, bytes)| {
                Aes256Gcm::new_from_slice(&bytes)
                    .map(|cipher| (id, cipher))
                    .map_err(|_| {
                        PiiError::BadKey(KeyError {
                            setting: "pii.seal_keys",
                            message: "not an AES-256 key".into(),
                        })
                    })
            })
            .collect::<Result<_, _>>()?;
        let hash = parse_keys(&settings.hash_keys, "pii.hash_keys")?;
        Ok(Self { seal, hash })
    }

    /// `kid:base64(nonce ‖ ciphertext)`, sealed with the newest key for `place`.
    pub fn seal(&self, plain: &str, place: &str) -> String {
        let (id, cipher) = &self.seal[0];
        let nonce_bytes: [u8; 12] = rand::random();
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: plain.as_bytes(),
                    aad: place.as_bytes(),
                },
            )
            .expect("AES-GCM encryption of an in-memory buffer does not fail");
        let mut out = nonce_bytes.to_vec();
        out.extend(sealed);
        format!("{id}:{}", STANDARD.encode(out))
    }

    /// Opens a value sealed for `place` with any listed key.
    pub fn open(&self, sealed: &str, place: &str) -> Result<String, PiiError> {
        let (id, data, aad) = match sealed.split_once(':') {
            Some((id, data)) => (id, data, place.as_bytes()),
            None => (self.oldest_seal_id(), sealed, &[][..]),
        };
        let unseal = || PiiError::Unseal(id.to_owned());
        let (_, cipher) = self.seal.iter().find(|(k, _)| k == id).ok_or_else(unseal)?;
        let bytes = STANDARD.decode(data).map_err(|_| unseal())?;
        if bytes.len() < 12 {
            return Err(unseal());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| unseal())?;
        String::from_utf8(plain).map_err(|_| unseal())
    }

    fn oldest_seal_id(&self) -> &str {
        &self.seal[self.seal.len() - 1].0
    }

    fn hex_mac(key: &[u8], plain: &str) -> String {
        hmac_hex(key, plain.as_bytes())
    }

    fn hash_with(id: &str, key: &[u8], plain: &str) -> String {
        format!("{id}:{}", Self::hex_mac(key, plain))
    }

    /// `kid:hex` HMAC-SHA256 with the newest hash key: equal inputs give equal hashes, without
    /// the key nothing.
    pub fn hash(&self, plain: &str) -> String {
        let (id, key) = &self.hash[0];
        Self::hash_with(id, key, plain)
    }

    /// The hash under every listed key, newest first, and last the bare hash of a value written
    /// before keys had ids: what a look-up asks for.
    pub fn hashes(&self, plain: &str) -> Vec<String> {
        let mut all: Vec<String> = self
            .hash
            .iter()
            .map(|(id, key)| Self::hash_with(id, key, plain))
            .collect();
        let (_, oldest) = &self.hash[self.hash.len() - 1];
        all.push(Self::hex_mac(oldest, plain));
        all
    }

    /// Whether a stored value is sealed with the newest key (nothing to rotate).
    pub fn sealed_with_newest(&self, sealed: &str) -> bool {
        sealed
            .split_once(':')
            .is_some_and(|(id, _)| id == self.seal[0].0)
    }

    /// Whether a stored hash uses the newest hash key.
    pub fn hashed_with_newest(&self, hash: &str) -> bool {
        hash.split_once(':')
            .is_some_and(|(id, _)| id == self.hash[0].0)
    }

    /// The id of the newest sealing key and of the newest hash key.
    pub fn newest(&self) -> (&str, &str) {
        (&self.seal[0].0, &self.hash[0].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PiiSettings;

    fn key() -> String {
        STANDARD.encode(rand::random::<[u8; 32]>())
    }

    fn vault(seal: &str, hash: &str) -> PiiVault {
        PiiVault::new(&PiiSettings {
            seal_keys: seal.into(),
            hash_keys: hash.into(),
        })
        .unwrap()
    }

    #[test]
    fn a_sealed_value_opens_for_its_place_only() {
        let (k1, h1) = (key(), key());
        let v = vault(&format!("k1:{k1}"), &format!("h1:{h1}"));
        let here = place("intake_petitioner", "id_number", "p1/0");
        let sealed = v.seal("11010519491231002X", &here);
        assert!(sealed.starts_with("k1:") && !sealed.contains("19491231"));
        assert_ne!(
            sealed,
            v.seal("11010519491231002X", &here),
            "a fresh nonce each time"
        );
        assert_eq!(v.open(&sealed, &here).unwrap(), "11010519491231002X");
        let elsewhere = place("intake_petitioner", "id_number", "p2/0");
        assert!(
            v.open(&sealed, &elsewhere).is_err(),
            "copied to another row"
        );
        let other_column = place("intake_petitioner", "phone", "p1/0");
        assert!(v.open(&sealed, &other_column).is_err());
    }

    #[test]
    fn old_values_open_and_match_while_their_keys_are_listed() {
        let (k1, k2, h1, h2) = (key(), key(), key(), key());
        let before = vault(&format!("k1:{k1}"), &format!("h1:{h1}"));
        let here = place("t", "c", "r");
        let sealed = before.seal("x", &here);
        let hashed = before.hash("x");
        let after = vault(&format!("k2:{k2},k1:{k1}"), &format!("h2:{h2},h1:{h1}"));
        assert_eq!(after.open(&sealed, &here).unwrap(), "x");
        assert!(!after.sealed_with_newest(&sealed));
        assert!(
            after.hashes("x").contains(&hashed),
            "a look-up finds the old hash"
        );
        assert!(after.hash("x").starts_with("h2:"));
        let dropped = vault(&format!("k2:{k2}"), &format!("h2:{h2}"));
        assert!(dropped.open(&sealed, &here).is_err());
    }

    #[test]
    fn values_from_before_key_ids_open_and_match_with_the_oldest_key() {
        let (k1, k2, h1, h2) = (key(), key(), key(), key());
        let old = Aes256Gcm::new_from_slice(&STANDARD.decode(&k1).unwrap()).unwrap();
        let nonce = [7u8; 12];
        let mut bare = nonce.to_vec();
        bare.extend(
            old.encrypt(Nonce::from_slice(&nonce), b"13800138000".as_ref())
                .unwrap(),
        );
        let bare = STANDARD.encode(bare);
        let bare_hash = PiiVault::hex_mac(&STANDARD.decode(&h1).unwrap(), "13800138000");
        let v = vault(&format!("k2:{k2},k1:{k1}"), &format!("h2:{h2},h1:{h1}"));
        assert_eq!(v.open(&bare, "anywhere").unwrap(), "13800138000");
        assert!(!v.sealed_with_newest(&bare) && !v.hashed_with_newest(&bare_hash));
        assert_eq!(v.hashes("13800138000").last(), Some(&bare_hash));
    }
}
