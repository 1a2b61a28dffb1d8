//! Fuzzing every parser of outside input in the domain, on stable Rust with proptest (no
//! nightly `cargo fuzz`): ID numbers, phone numbers, region codes, days, and the reference data
//! files a bureau edits (the demo files, mutated). Each must answer — a value or an error that
//! names what is wrong — and never panic; what it accepts must hold its own rules.
//!
//! Each target runs for `XINFANG_FUZZ_SECONDS` (2 in CI; the README's command runs 600):
//! `XINFANG_FUZZ_SECONDS=600 cargo test --release -p xinfang-domain --test fuzz`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::time::{Duration, Instant};
use xinfang_domain::field::{YEARS, day};
use xinfang_domain::identity::{PhoneNumber, ResidentId};
use xinfang_domain::reference::{ReferenceData, Source, Sources};
use xinfang_domain::region::RegionCode;

fn seconds() -> Duration {
    let seconds = std::env::var("XINFANG_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    Duration::from_secs(seconds)
}

/// Runs `check` on values of `strategy` until the time is up; a failure is shrunk and reported.
fn fuzz<S: Strategy>(strategy: S, check: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    let until = Instant::now() + seconds();
    let mut cases = 0u64;
    while Instant::now() < until {
        let mut runner = TestRunner::new(Config {
            cases: 500,
            failure_persistence: None,
            ..Config::default()
        });
        if let Err(failure) = runner.run(&strategy, &check) {
            panic!("after {cases} cases: {failure}");
        }
        cases += 500;
    }
}

/// Text near the shape a parser expects, and anything at all.
fn near(shape: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => shape,
        1 => any::<String>(),
        1 => "[0-9Xx+\\- ]{0,30}",
    ]
}

#[test]
fn resident_id_numbers() {
    fuzz(
        near("[1-6][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx]"),
        |text| {
            if let Ok(id) = ResidentId::parse(&text) {
                let again = ResidentId::parse(id.as_str());
                prop_assert!(again.is_ok(), "{text:?} parsed but its own form does not");
            }
            Ok(())
        },
    );
}

#[test]
fn phone_numbers() {
    fuzz(
        near("(\\+86)?1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}"),
        |text| {
            let _ = PhoneNumber::parse(&text);
            Ok(())
        },
    );
}

#[test]
fn region_codes() {
    fuzz(near("34[0-9]{4}([0-9]{3})?"), |text| {
        if let Ok(code) = RegionCode::parse(&text) {
            prop_assert!(RegionCode::parse(&code.to_string()).is_ok());
        }
        Ok(())
    });
}

#[test]
fn days() {
    fuzz(near("[+-]?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}"), |text| {
        if let Ok(d) = day("from", &text) {
            prop_assert!(YEARS.contains(&chrono::Datelike::year(&d)));
        }
        Ok(())
    });
}

const DEMO: [(&str, &str); 4] = [
    (
        "channels.toml",
        include_str!("../../../config/reference/channels.toml"),
    ),
    (
        "categories.toml",
        include_str!("../../../config/reference/categories.toml"),
    ),
    (
        "org.toml",
        include_str!("../../../config/reference/org.toml"),
    ),
    (
        "calendar.toml",
        include_str!("../../../config/reference/calendar.toml"),
    ),
];

/// A demo file with a few random edits: characters put in, runs cut out.
fn mutated(text: &'static str) -> impl Strategy<Value = String> {
    let edits = proptest::collection::vec(
        (
            any::<prop::sample::Index>(),
            any::<bool>(),
            "\\PC{0,8}|[\\[\\]=\"#\n]{1,3}",
        ),
        1..6,
    );
    edits.prop_map(move |edits| {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, cut, put) in edits {
            let i = at.index(chars.len() + 1);
            if cut && i < chars.len() {
                let end = (i + 40).min(chars.len());
                chars.drain(i..end);
            } else {
                chars.splice(i..i, put.chars());
            }
        }
        chars.into_iter().collect()
    })
}

/// Fuzzes the demo file `which` of [`DEMO`], the others as they are.
fn reference_file(which: usize) {
    let (name, text) = DEMO[which];
    fuzz(mutated(text), |edited| {
        let mut texts: [&str; 4] = DEMO.map(|(_, t)| t);
        texts[which] = &edited;
        let source = |i: usize| Source {
            name: DEMO[i].0,
            text: texts[i],
        };
        let parsed = ReferenceData::parse(Sources {
            channels: source(0),
            categories: source(1),
            org: source(2),
            calendar: source(3),
        });
        if let Err(e) = parsed {
            prop_assert!(!e.file.is_empty() && !e.message.is_empty(), "{name}: {e}");
        }
        Ok(())
    });
}

#[test]
fn channels_file() {
    reference_file(0);
}

#[test]
fn categories_file() {
    reference_file(1);
}

#[test]
fn org_file() {
    reference_file(2);
}

#[test]
fn calendar_file() {
    reference_file(3);
}
