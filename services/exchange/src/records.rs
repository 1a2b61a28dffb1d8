//! What the province receives of this node's events: the item (masked petitioners, as the
//! events carry them), each handling step, each evaluation — with every code in the local table
//! and its provincial counterpart, under one mapping version, and the item's local number (the
//! petition id) and city number (its case number).

use xinfang_domain::reference::ReferenceData;
use xinfang_events::{Envelope, Payload};
use xinfang_proto::xinfang::exchange::v1::{self as ex, up_record::Record};
use xinfang_proto::xinfang::petition::v1::PetitionState;

/// The version of the local ↔ provincial mapping the records carry.
pub const MAPPING_VERSION: &str = "2026.1";

/// The provincial action codes of the handling steps (办理环节).
pub const ACTIONS: &[(&str, &str)] = &[
    ("forward", "02"),             // 转送
    ("assign", "03"),              // 交办
    ("redirect", "04"),            // 告知向有权机关提出
    ("not_accept", "05"),          // 不予受理
    ("escalate", "06"),            // 报上级
    ("accept", "07"),              // 受理
    ("extend", "08"),              // 延期
    ("answer", "09"),              // 出具处理意见
    ("transfer", "10"),            // 转办
    ("review", "11"),              // 复查意见
    ("re_examination", "12"),      // 复核意见
    ("terminate", "13"),           // 终结
    ("province_evaluation", "14"), // 报省评议
];

/// The provincial side of a mapped code ("" when there is none).
pub fn province_code(code: &Option<ex::MappedCode>) -> &str {
    code.as_ref().map_or("", |c| c.province.as_str())
}

fn mapped(local: &str, province: &str) -> Option<ex::MappedCode> {
    Some(ex::MappedCode {
        local: local.to_owned(),
        province: province.to_owned(),
        mapping_version: MAPPING_VERSION.to_owned(),
    })
}

/// Codes the province shares with the nation (regions, GB/T 2260) or with us (categories,
/// organs, until the province publishes its tables) map to themselves.
fn same(code: &str) -> Option<ex::MappedCode> {
    mapped(code, code)
}

fn action(local: &str) -> Option<ex::MappedCode> {
    let province = ACTIONS
        .iter()
        .find(|(l, _)| *l == local)
        .map_or("", |(_, p)| p);
    mapped(local, province)
}

/// The numbers of an item: local (the petition id) and city (its case number, when known).
pub fn numbers(petition: &str, case_number: &str) -> Option<ex::ItemNumbers> {
    Some(ex::ItemNumbers {
        local: petition.to_owned(),
        city: case_number.to_owned(),
        province: String::new(),
    })
}

/// A step of the item's handling.
fn step(
    envelope: &Envelope,
    case_number: &str,
    name: &str,
    organ: &str,
    destination: &str,
    text: &str,
    report_back: &str,
) -> Record {
    Record::Step(ex::HandlingStep {
        numbers: numbers(&envelope.petition_id, case_number),
        action: action(name),
        organ: same(organ),
        officer: envelope
            .actor
            .as_ref()
            .map(|a| a.user_id.clone())
            .unwrap_or_default(),
        occurred_at: envelope.occurred_at,
        destination: if destination.is_empty() {
            None
        } else {
            same(destination)
        },
        reply_text: text.to_owned(),
        report_back_date: report_back.to_owned(),
    })
}

/// The kind of a record, as the lists name it.
pub fn kind(record: &Record) -> &'static str {
    match record {
        Record::Item(_) => "item",
        Record::Step(_) => "step",
        Record::Evaluation(_) => "evaluation",
    }
}

/// The record an event makes for the province, if it makes one. `case_number` is the item's
/// city number as far as this node's exchange knows it.
pub fn record(envelope: &Envelope, reference: &ReferenceData, case_number: &str) -> Option<Record> {
    let payload = envelope.payload.as_ref()?;
    let at = |name: &str, organ: &str, destination: &str, text: &str, back: &str| {
        Some(step(
            envelope,
            case_number,
            name,
            organ,
            destination,
            text,
            back,
        ))
    };
    match payload {
        Payload::PetitionRegistered(e) => {
            let channel = reference
                .channels
                .get(&e.channel_code)
                .map_or("", |c| c.province_code.as_str());
            Some(Record::Item(ex::ExchangeItem {
                // An item the province assigned (省交办) comes back under its provincial number.
                numbers: Some(ex::ItemNumbers {
                    province: e.province_number.clone(),
                    ..numbers(&envelope.petition_id, &e.case_number)?
                }),
                channel: mapped(&e.channel_code, channel),
                content_category: same(&e.content_category),
                region: same(&e.region_code),
                title: e.title.clone(),
                // The events carry no content and only masked petitioners: the province gets
                // what the node publishes, never an identity number in clear.
                content: String::new(),
                petitioners: e.petitioners.clone(),
                flags: e.flags.clone(),
                query_code: String::new(),
                due_date: e
                    .triage_deadline
                    .as_ref()
                    .map(|d| d.due_date.clone())
                    .unwrap_or_default(),
                petitioned_at: e.petitioned_at,
            }))
        }
        Payload::CaseTriaged(e) => {
            let name = match PetitionState::try_from(e.state).unwrap_or_default() {
                PetitionState::Forwarded => "forward",
                PetitionState::Assigned => "assign",
                PetitionState::Redirected => "redirect",
                PetitionState::NotAccepted => "not_accept",
                _ => "escalate",
            };
            at(name, "", &e.organ_code, &e.reason, &e.report_back_date)
        }
        Payload::CaseAccepted(e) => at("accept", &e.organ_code, "", &e.notice_text, ""),
        Payload::ExtensionDecided(e) if e.approved => at("extend", "", "", &e.reason, ""),
        Payload::CaseAnswered(e) => at("answer", &e.organ_code, "", &e.text, ""),
        Payload::CaseTransferred(e) => at(
            "transfer",
            &e.from_organ_code,
            &e.to_organ_code,
            &e.reason,
            "",
        ),
        Payload::ReviewDecided(e) => {
            let name = if e.stage == 3 {
                "re_examination"
            } else {
                "review"
            };
            at(name, &e.organ_code, "", &e.text, "")
        }
        Payload::PetitionTerminated(e) => at("terminate", "", "", &e.reason, ""),
        Payload::ProvinceEvaluationMarked(e) => at("province_evaluation", "", "", &e.reason, ""),
        Payload::EvaluationSubmitted(e) => Some(Record::Evaluation(ex::ExchangeEvaluation {
            numbers: numbers(&envelope.petition_id, case_number),
            department: e.department,
            handling_organ: e.handling_organ,
            evaluated_at: envelope.occurred_at,
        })),
        _ => None,
    }
}

/// `record` with its codes mapped again by the current tables (after a mapping's correction).
pub fn remapped(mut record: Record, reference: &ReferenceData) -> Record {
    match &mut record {
        Record::Item(item) => {
            if let Some(channel) = &mut item.channel {
                let province = reference
                    .channels
                    .get(&channel.local)
                    .map_or("", |c| c.province_code.as_str());
                *channel = mapped(&channel.local, province).expect("a mapped code");
            }
        }
        Record::Step(step) => {
            if let Some(a) = &step.action {
                step.action = action(&a.local);
            }
        }
        Record::Evaluation(_) => {}
    }
    record
}
