//! `xinfang serve` outside the embedded node refuses to start on any key the source code holds,
//! and names it.

use std::process::Command;

fn serve(env: &[(&str, &str)]) -> (bool, String) {
    let jwks = std::env::temp_dir().join("xinfang-serve-secrets-jwks.json");
    std::fs::write(&jwks, r#"{"keys":[]}"#).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_xinfang"));
    command
        .args(["serve", "intake"])
        .env(
            "XINFANG__DATABASE__URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        )
        .env("XINFANG__EVENTS__BACKEND", "kafka")
        .env("XINFANG__LISTEN__INTAKE", "127.0.0.1:0")
        .env("XINFANG__TELEMETRY__LOG_FILTER", "error");
    for (key, value) in env {
        let value = value.replace("{jwks}", jwks.to_str().unwrap());
        command.env(key, value);
    }
    let out = command.output().expect("xinfang runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn serve_refuses_the_built_in_keys_naming_each() {
    let (ok, err) = serve(&[]);
    assert!(!ok);
    assert!(
        err.contains("refusing to start") && err.contains("auth.jwks"),
        "{err}"
    );

    let (ok, err) = serve(&[("XINFANG__AUTH__JWKS", "{jwks}")]);
    assert!(!ok);
    assert!(err.contains("pii.seal_keys"), "{err}");

    // A fresh key first does not hide the built-in one behind it.
    let fresh = "k2:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    let with_built_in = format!("{fresh},dev:ZW1iZWRkZWQtZGVmYXVsdC1zZWFsLWtleS0zMmJ5dGU=");
    let (ok, err) = serve(&[
        ("XINFANG__AUTH__JWKS", "{jwks}"),
        ("XINFANG__PII__SEAL_KEYS", &with_built_in),
    ]);
    assert!(!ok);
    assert!(err.contains("pii.seal_keys"), "{err}");
    let (ok, err) = serve(&[
        ("XINFANG__AUTH__JWKS", "{jwks}"),
        ("XINFANG__PII__SEAL_KEYS", fresh),
    ]);
    assert!(!ok);
    assert!(err.contains("pii.hash_keys"), "{err}");
    let (ok, err) = serve(&[
        ("XINFANG__AUTH__JWKS", "{jwks}"),
        ("XINFANG__PII__SEAL_KEYS", fresh),
        ("XINFANG__PII__HASH_KEYS", fresh),
    ]);
    assert!(!ok);
    assert!(err.contains("audit.chain_keys"), "{err}");
}

#[test]
fn the_keys_xinfang_keys_generate_writes_are_taken() {
    let out = std::env::temp_dir().join(format!("xinfang-keys-env-{}", std::process::id()));
    let made = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(["keys", "generate", "--out"])
        .arg(&out)
        .output()
        .expect("xinfang keys generate runs");
    assert!(made.status.success(), "{made:?}");
    // keys.env, as docker compose's env_file reads it; the Secret holds the same names.
    let env = std::fs::read_to_string(out.join("keys.env")).unwrap();
    let secret = std::fs::read_to_string(out.join("secret.yaml")).unwrap();
    let mut settings: Vec<(String, String)> = env
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("NAME=value");
            assert!(
                secret.contains(&format!("{k}: \"{v}\"")),
                "{k} in secret.yaml"
            );
            (k.to_owned(), v.to_owned())
        })
        .collect();
    assert_eq!(settings.len(), 3);
    settings.push((
        "XINFANG__AUTH__JWKS".into(),
        out.join("jwks.json").display().to_string(),
    ));
    // Nothing listens on port 1: past the keys, serve stops at the database.
    settings.push((
        "XINFANG__DATABASE__URL".into(),
        "postgres://postgres@127.0.0.1:1/postgres".into(),
    ));
    let run = Command::new(env!("CARGO_BIN_EXE_xinfang"))
        .args(["serve", "intake"])
        .env("XINFANG__EVENTS__BACKEND", "kafka")
        .env("XINFANG__LISTEN__INTAKE", "127.0.0.1:0")
        .env("XINFANG__TELEMETRY__LOG_FILTER", "error")
        .envs(settings)
        .output()
        .expect("xinfang runs");
    std::fs::remove_dir_all(&out).ok();
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(!err.contains("refusing to start"), "{err}");
    assert!(err.contains("database"), "{err}");
}
