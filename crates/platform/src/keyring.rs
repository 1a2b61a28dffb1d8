//! Versioned symmetric keys as configured: `id:base64,id:base64`, newest first. The newest
//! protects what is written; the older ones stay listed so that what they protected still
//! opens or verifies until it is rewritten. Personal data (`pii.*`) and the audit chain
//! (`audit.chain_keys`) are keyed this way.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A configured key list that cannot be used, naming its setting.
#[derive(Debug, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct KeyError {
    pub setting: &'static str,
    pub message: String,
}

/// `id:base64,id:base64` as `(id, 32 bytes)`, newest first; `setting` names the list in errors.
pub fn parse_keys(value: &str, setting: &'static str) -> Result<Vec<(String, Vec<u8>)>, KeyError> {
    let bad = |message: String| KeyError { setting, message };
    let keys: Vec<(String, Vec<u8>)> = value
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|entry| {
            let (id, material) = entry
                .split_once(':')
                .ok_or_else(|| bad(format!("{entry:?} is not id:base64")))?;
            let id_ok = (1..=32).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !id_ok {
                return Err(bad(format!(
                    "key id {id:?} is not 1 to 32 letters, digits and dashes"
                )));
            }
            match STANDARD.decode(material.trim()) {
                Ok(bytes) if bytes.len() == 32 => Ok((id.to_owned(), bytes)),
                _ => Err(bad(format!("key {id} must be base64 of exactly 32 bytes"))),
            }
        })
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err(bad("at least one key".into()));
    }
    Ok(keys)
}

/// A fresh key with id `id`, as the key lists hold it.
pub fn generate(id: &str) -> String {
    format!("{id}:{}", STANDARD.encode(rand::random::<[u8; 32]>()))
}

/// HMAC-SHA256 of `message` under `key`, in lower-case hex.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_list_is_refused_naming_its_setting() {
        let err = parse_keys("k1:c2hvcnQ=", "pii.seal_keys").unwrap_err();
        assert_eq!(
            err.to_string(),
            "pii.seal_keys: key k1 must be base64 of exactly 32 bytes"
        );
        let err = parse_keys("k 1:abc", "audit.chain_keys").unwrap_err();
        assert!(err.to_string().starts_with("audit.chain_keys: key id"));
        assert!(parse_keys(" , ", "x").is_err());
    }

    #[test]
    fn generated_keys_parse_newest_first() {
        let list = format!("{},{}", generate("b"), generate("a"));
        let keys = parse_keys(&list, "x").unwrap();
        assert_eq!(keys[0].0, "b");
        assert_eq!(keys[1].1.len(), 32);
    }
}
