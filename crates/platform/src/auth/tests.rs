//! Tokens the verifier must refuse, and the one it accepts.

use super::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header};

fn settings() -> AuthSettings {
    crate::config::Settings::default().auth
}

fn claims(valid_secs: i64) -> Claims {
    let mut c = Claims::new(&settings(), "u1", "王五", "east-t1", &["clerk"], 3600);
    c.exp = (c.iat as i64 + valid_secs) as u64;
    c
}

fn verifier(key: &SigningKey) -> Authenticator {
    Authenticator::with_keys(serde_json::from_value(key.jwks()).unwrap(), &settings())
}

fn reason(result: Result<Caller, Refusal>) -> String {
    let refusal = result.unwrap_err();
    assert_eq!(refusal.reason, Reason::Unauthenticated);
    refusal.message
}

#[test]
fn a_token_signed_by_the_known_key_is_accepted() {
    let key = SigningKey::generate();
    let caller = verifier(&key).verify(&key.sign(&claims(600))).unwrap();
    assert_eq!(caller.org_unit, "east-t1");
    assert!(caller.has_role("clerk"));
}

#[test]
fn a_token_of_another_key_with_the_same_kid_is_refused() {
    let known = SigningKey::generate();
    let other = SigningKey::generate();
    // Forge the header's kid: the signature does not verify against the known key.
    let token = other.sign(&claims(600));
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    let mut header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[0]).unwrap()).unwrap();
    header["kid"] = known.kid().into();
    parts[0] = URL_SAFE_NO_PAD.encode(header.to_string());
    let message = reason(verifier(&known).verify(&parts.join(".")));
    assert!(message.contains("invalid bearer token"), "{message}");
}

#[test]
fn a_token_verified_before_is_refused_once_its_key_is_withdrawn() {
    let withdrawn = SigningKey::generate();
    let auth = verifier(&withdrawn);
    let token = withdrawn.sign(&claims(600));
    assert!(auth.verify(&token).is_ok());
    assert!(auth.verify(&token).is_ok(), "verified again, as kept");
    // The identity provider's refreshed key set no longer holds the key.
    let next = SigningKey::generate();
    auth.keys
        .store(Arc::new(serde_json::from_value(next.jwks()).unwrap()));
    let message = reason(auth.verify(&token));
    assert!(message.contains("unknown key id"), "{message}");
    assert!(auth.verify(&next.sign(&claims(600))).is_ok());
}

#[test]
fn an_unknown_key_id_is_refused() {
    let message = reason(
        verifier(&SigningKey::generate()).verify(&SigningKey::generate().sign(&claims(600))),
    );
    assert!(message.contains("unknown key id"), "{message}");
}

#[test]
fn alg_none_is_refused() {
    let key = SigningKey::generate();
    let header = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"alg":"none","typ":"JWT","kid":"{}"}}"#,
        key.kid()
    ));
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(600)).unwrap());
    let message = reason(verifier(&key).verify(&format!("{header}.{body}.")));
    assert!(message.contains("invalid bearer token"), "{message}");
}

#[test]
fn hs256_signed_with_the_public_key_is_refused() {
    let key = SigningKey::generate();
    let public = URL_SAFE_NO_PAD
        .decode(key.jwk()["x"].as_str().unwrap())
        .unwrap();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key.kid().into());
    let token =
        jsonwebtoken::encode(&header, &claims(600), &EncodingKey::from_secret(&public)).unwrap();
    let message = reason(verifier(&key).verify(&token));
    assert!(message.contains("only EdDSA"), "{message}");
}

#[test]
fn an_expired_token_is_refused() {
    let key = SigningKey::generate();
    let message = reason(verifier(&key).verify(&key.sign(&claims(-120))));
    assert!(message.contains("Expired"), "{message}");
}

#[test]
fn a_token_for_another_audience_or_not_yet_valid_is_refused() {
    let key = SigningKey::generate();
    let mut other = claims(600);
    other.aud = "another-system".into();
    let message = reason(verifier(&key).verify(&key.sign(&other)));
    assert!(message.contains("Audience"), "{message}");
    let mut early = claims(7200);
    early.nbf += 3600;
    let message = reason(verifier(&key).verify(&key.sign(&early)));
    assert!(message.contains("Immature"), "{message}");
}

#[test]
fn a_key_round_trips_through_pem() {
    let key = SigningKey::generate();
    let again = SigningKey::from_pem(&key.to_pem()).unwrap();
    assert_eq!(again.kid(), key.kid());
}
