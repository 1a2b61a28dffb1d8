//! The tests' identity provider and keys: an Ed25519 key whose JWKS the services under test read
//! from a file (as production reads its provider's), and fresh PII and audit keys — never the built-in ones.

use std::path::PathBuf;
use std::sync::OnceLock;
use xinfang_platform::auth::{Claims, SigningKey};
use xinfang_platform::config::Settings;
use xinfang_platform::keyring;

struct Provider {
    key: SigningKey,
    jwks: PathBuf,
    seal_key: String,
    hash_key: String,
    chain_key: String,
}

fn provider() -> &'static Provider {
    static PROVIDER: OnceLock<Provider> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        let key = SigningKey::generate();
        let jwks = std::env::temp_dir().join(format!("xinfang-test-jwks-{}.json", key.kid()));
        std::fs::write(&jwks, key.jwks().to_string()).expect("the test JWKS file");
        Provider {
            key,
            jwks,
            seal_key: keyring::generate("t1"),
            hash_key: keyring::generate("t1"),
            chain_key: keyring::generate("t1"),
        }
    })
}

/// The settings overrides that make a service use the tests' provider and keys.
pub fn overrides() -> [(&'static str, &'static str); 4] {
    let p = provider();
    [
        ("auth.jwks", p.jwks.to_str().expect("a UTF-8 temp path")),
        ("pii.seal_keys", &p.seal_key),
        ("pii.hash_keys", &p.hash_key),
        ("audit.chain_keys", &p.chain_key),
    ]
}

/// The tests' personal-data keys, `(seal, hash)`, each `id:base64`.
pub fn pii_keys() -> (&'static str, &'static str) {
    let p = provider();
    (&p.seal_key, &p.hash_key)
}

/// A token for `user` of `unit` with `roles`, valid for an hour.
pub fn sign(user: &str, unit: &str, roles: &[&str]) -> String {
    let auth = Settings::default().auth;
    provider()
        .key
        .sign(&Claims::new(&auth, user, "测试用户", unit, roles, 3600))
}
