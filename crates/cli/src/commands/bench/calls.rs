//! The calls the load sends: registrations that are each a new person's first petition (fresh
//! idempotency key, a valid identity number of their own), and reads of what was registered.

use super::super::connection::request;
use tonic::transport::Channel;
use xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient;
use xinfang_proto::xinfang::intake::v1::*;
use xinfang_proto::xinfang::petition::v1::{IdType, Petitioner};

pub type Intake = IntakeServiceClient<Channel>;

/// What a call answers when it fails: its status code's name.
pub fn code(status: tonic::Status) -> String {
    format!("{:?}", status.code())
}

/// A valid resident identity number, different for each `n` below 18 million: a birth date
/// counted in days from 1950-01-01 and a sequence number within the day.
pub fn identity_number(n: u64) -> String {
    let born = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).expect("a date")
        + chrono::Days::new((n / 1000) % 18_000);
    let first17 = format!("340102{}{:03}", born.format("%Y%m%d"), n % 1000);
    let check = xinfang_domain::identity::check_digit(&first17).expect("17 digits");
    format!("{first17}{check}")
}

/// Where a run's people start among the 18 million numbers: each run its own, so that a second
/// run against the same database registers new people's first petitions again, not repeat
/// items (重复件, which open no case).
fn first_person(run: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    run.hash(&mut hasher);
    hasher.finish() % 18_000_000
}

/// A clerk's registration of a visit about unpaid wages, by the `n`th person of the run.
pub fn registration(run: &str, n: u64) -> RegisterPetitionRequest {
    RegisterPetitionRequest {
        idempotency_key: format!("bench-{run}-{n}"),
        channel_code: "0300".into(),
        region_code: "340102001".into(),
        content_category: "020100".into(),
        title: "拖欠工资".into(),
        content: "某建筑公司拖欠农民工工资三个月未发".into(),
        petitioners: vec![Petitioner {
            name: "张三".into(),
            id_type: IdType::ResidentId as i32,
            id_number: identity_number(first_person(run) + n),
            phone: "13800138000".into(),
            address: "长江街道1号".into(),
            ..Default::default()
        }],
        ..Default::default()
    }
}

/// Registers and answers the petition's id and query code.
pub async fn register(
    mut intake: Intake,
    token: &Option<String>,
    message: RegisterPetitionRequest,
) -> Result<(String, String), String> {
    let answer = intake
        .register_petition(request(message, token).map_err(|e| e.to_string())?)
        .await
        .map_err(code)?
        .into_inner();
    let id = answer.petition.map(|p| p.id).unwrap_or_default();
    Ok((id, answer.query_code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_numbers_are_valid_and_distinct() {
        let numbers: std::collections::HashSet<String> =
            (0..50_000).step_by(7).map(identity_number).collect();
        assert_eq!(numbers.len(), 50_000usize.div_ceil(7));
        for number in numbers.iter().take(100) {
            assert!(
                xinfang_domain::identity::ResidentId::parse(number).is_ok(),
                "{number}"
            );
        }
    }
}
