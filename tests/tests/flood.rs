//! A flood of the largest registrations the bounds allow — every text at its limit, 50
//! petitioners, 20 attachments, the same people each time so that every one is screened as a
//! repeat — 200 times at concurrency 16: every call answers, and the process (intake, its
//! database pool and the client) stays under a stated peak of memory. Alone in its test binary,
//! so that the peak is this test's.

use futures::StreamExt;
use xinfang_proto::xinfang::intake::v1::RegisterPetitionRequest;
use xinfang_proto::xinfang::petition::v1::{Attachment, IdType, Petitioner};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::services::{settings_with, spawn_intake};
use xinfang_testkit::{authed, resident_id, token, wage_claim};

/// The peak resident memory the flood may reach, in MiB (measured: see the README).
const PEAK_MIB: u64 = 256;

/// The process's peak resident memory so far, in MiB (Linux `VmHWM`).
fn peak_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        / 1024
}

fn largest(n: usize) -> RegisterPetitionRequest {
    let mut request = wage_claim(&format!("{n:0>128}"), &resident_id(1));
    request.title = "题".repeat(200);
    request.content = "欠".repeat(20_000);
    request.petitioners = (1..=50)
        .map(|p| Petitioner {
            name: "名".repeat(100),
            id_type: IdType::ResidentId as i32,
            id_number: resident_id(p),
            phone: "13800138000".into(),
            address: "址".repeat(200),
            ..Default::default()
        })
        .collect();
    request.headcount = 100_000;
    request.attachments = (0..20)
        .map(|a| Attachment {
            file_name: format!("{a:f>255}"),
            media_type: "application/pdf".into(),
            size_bytes: 1 << 30,
            sha256: "a".repeat(64),
            storage_uri: format!("{a:s>1000}"),
        })
        .collect();
    request
}

#[tokio::test]
async fn the_largest_allowed_registrations_in_a_flood_all_answer_within_a_memory_bound() {
    let db = TestDatabase::create().await;
    let broker = Broker::with_service_topics().await;
    let intake = spawn_intake(settings_with(&db.url, Some(&broker.address()), &[])).await;
    let client = intake.intake_client().await;
    let clerk = token("east-t1");
    let before = peak_mib();

    let answers: Vec<_> = futures::stream::iter(0..200)
        .map(|n| {
            let mut client = client.clone();
            let request = authed(largest(n), &clerk);
            async move { client.register_petition(request).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;

    let failed: Vec<_> = answers.iter().filter_map(|a| a.as_ref().err()).collect();
    assert!(failed.is_empty(), "every call answers OK: {failed:?}");
    assert_eq!(db.count("intake_petition").await, 200);
    let peak = peak_mib();
    eprintln!("peak resident memory: {before} MiB before the flood, {peak} MiB after");
    assert!(
        peak < PEAK_MIB,
        "the flood peaked at {peak} MiB (bound {PEAK_MIB} MiB)"
    );
    intake.stop().await;
}
