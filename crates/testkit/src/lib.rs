//! The harness of the integration tests, compiled once: a fresh PostgreSQL database per test, a
//! real Kafka-protocol broker (tansu) per test, services spawned on random ports, tokens, and a
//! Kafka reader.

pub mod broker;
pub mod database;
pub mod kafka;
pub mod processes;
pub mod proxy;
pub mod services;

pub mod identity;

use xinfang_proto::xinfang::intake::v1::{RegisterPetitionRequest, RegisterPetitionResponse};
use xinfang_proto::xinfang::petition::v1::{IdType, Petitioner};

/// A bearer token of a clerk of `unit`, from the tests' identity provider.
pub fn token(unit: &str) -> String {
    token_as(unit, &["clerk"])
}

/// A bearer token of a user of `unit` holding `roles`.
pub fn token_as(unit: &str, roles: &[&str]) -> String {
    identity::sign(&format!("user-of-{unit}"), unit, roles)
}

/// A request carrying `token` as its bearer token.
pub fn authed<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("a token is ASCII"),
    );
    request
}

/// Polls `check` until it returns Some or `seconds` pass.
pub async fn eventually<T, F, Fut>(seconds: u64, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// A valid resident ID number (GB 11643) of someone born 1980-01-01 in 340102, serial `n`.
pub fn resident_id(n: u32) -> String {
    let first17 = format!("34010219800101{:03}", n % 1000);
    let check = xinfang_domain::identity::check_digit(&first17).expect("17 digits");
    format!("{first17}{check}")
}

/// A clerk's registration of a visit about unpaid wages (020100) in 长江街道 (340102001), by the
/// person with `id_number`.
pub fn wage_claim(key: &str, id_number: &str) -> RegisterPetitionRequest {
    RegisterPetitionRequest {
        idempotency_key: key.into(),
        channel_code: "0300".into(),
        region_code: "340102001".into(),
        content_category: "020100".into(),
        title: "拖欠工资".into(),
        content: "某建筑公司拖欠农民工工资三个月未发".into(),
        petitioners: vec![Petitioner {
            name: "张三".into(),
            id_type: IdType::ResidentId as i32,
            id_number: id_number.into(),
            phone: "13800138000".into(),
            address: "长江街道1号".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Copies of one form sent at once were answered as one petition: every copy names it, and only
/// one registered it (the others are replays).
pub fn assert_one_petition(answers: &[RegisterPetitionResponse]) {
    let ids: std::collections::HashSet<_> = answers
        .iter()
        .map(|a| {
            a.petition
                .as_ref()
                .expect("a petition in every answer")
                .id
                .clone()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every copy answers the same petition");
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
}

/// An event as a producing service would announce it, with a fresh id.
pub fn envelope(
    petition: &str,
    at: chrono::DateTime<chrono::Utc>,
    payload: xinfang_events::Payload,
) -> xinfang_events::Envelope {
    xinfang_events::Envelope {
        event_id: uuid::Uuid::new_v4().to_string(),
        event_type: xinfang_events::envelope::event_type(&payload).into(),
        petition_id: petition.into(),
        occurred_at: Some(xinfang_events::envelope::timestamp(at)),
        node: "340100".into(),
        payload: Some(payload),
        ..Default::default()
    }
}

/// An instant from RFC 3339 text (`2026-03-10T09:00:00+08:00`).
pub fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&chrono::Utc)
}

/// `PetitionRegistered` of a new item registered by `unit` about `region`, at `when`.
pub fn registered_event(
    id: &str,
    unit: &str,
    region: &str,
    when: chrono::DateTime<chrono::Utc>,
) -> xinfang_events::Envelope {
    use xinfang_proto::xinfang::events::v1::PetitionRegistered;
    use xinfang_proto::xinfang::petition::v1::PetitionState;
    let time = Some(xinfang_events::envelope::timestamp(when));
    envelope(
        id,
        when,
        xinfang_events::Payload::PetitionRegistered(PetitionRegistered {
            case_number: format!("340100-2026-{id}"),
            state: PetitionState::Registered as i32,
            channel_code: "0200".into(),
            registering_unit: unit.into(),
            region_code: region.into(),
            first_time_here: true,
            petitioned_at: time,
            registered_at: time,
            ..Default::default()
        }),
    )
}
