//! What the province receives of this node's events: the item (masked petitioners, as the
//! events carry them), each handling step, each evaluation — with every code in the local table
//! and its provincial counterpart under the version of the mapping that gave it (`mapping`), and
//! the item's local number (the petition id) and city number (its case number).

use crate::mapping::Mapping;
use xinfang_events::{Envelope, Payload};
use xinfang_proto::xinfang::exchange::v1::{self as ex, up_record::Record};
use xinfang_proto::xinfang::petition::v1::PetitionState;

/// The provincial side of a mapped code ("" when there is none).
pub fn province_code(code: &Option<ex::MappedCode>) -> &str {
    code.as_ref().map_or("", |c| c.province.as_str())
}

/// The numbers of an item: local (the petition id) and city (its case number, when known).
pub fn numbers(petition: &str, case_number: &str) -> Option<ex::ItemNumbers> {
    Some(ex::ItemNumbers {
        local: petition.to_owned(),
        city: case_number.to_owned(),
        province: String::new(),
    })
}

/// The kind of a record, as the lists name it.
pub fn kind(record: &Record) -> &'static str {
    match record {
        Record::Item(_) => "item",
        Record::Step(_) => "step",
        Record::Evaluation(_) => "evaluation",
        Record::Transfer(_) => "transfer",
    }
}

/// The numbers of the item a record is about.
pub fn item_numbers(record: &Record) -> Option<&ex::ItemNumbers> {
    match record {
        Record::Item(i) => i.numbers.as_ref(),
        Record::Step(s) => s.numbers.as_ref(),
        Record::Evaluation(e) => e.numbers.as_ref(),
        Record::Transfer(t) => t.item.as_ref()?.numbers.as_ref(),
    }
}

/// The record an event makes for the province, if it makes one. A registration carries its
/// item's city number; a later event's record gets it from [`with_city`], so that the number is
/// looked up only for the events the province receives.
pub fn record(envelope: &Envelope, mapping: &Mapping<'_>) -> Option<Record> {
    let payload = envelope.payload.as_ref()?;
    // A step of the item's handling.
    let at = |name: &str, organ: &str, destination: &str, text: &str, back: &str| {
        Some(Record::Step(ex::HandlingStep {
            numbers: numbers(&envelope.petition_id, ""),
            action: mapping.code("action", name),
            organ: mapping.code("organ", organ),
            officer: envelope
                .actor
                .as_ref()
                .map(|a| a.user_id.clone())
                .unwrap_or_default(),
            occurred_at: envelope.occurred_at,
            destination: if destination.is_empty() {
                None
            } else {
                mapping.code("organ", destination)
            },
            reply_text: text.to_owned(),
            report_back_date: back.to_owned(),
        }))
    };
    match payload {
        Payload::PetitionRegistered(e) => {
            Some(Record::Item(ex::ExchangeItem {
                // An item the province assigned (省交办) comes back under its provincial number.
                numbers: Some(ex::ItemNumbers {
                    province: e.province_number.clone(),
                    ..numbers(&envelope.petition_id, &e.case_number)?
                }),
                channel: mapping.code("channel", &e.channel_code),
                content_category: mapping.code("content_category", &e.content_category),
                region: mapping.code("region", &e.region_code),
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
        // 转有权处理地: the item itself goes to the other city; `Numbering` lays the item's
        // record in, the pusher its content and petitioners from intake.
        Payload::CaseTransferred(e) if !e.to_node_region_code.is_empty() => {
            Some(Record::Transfer(ex::ExchangeTransfer {
                to_node_region_code: e.to_node_region_code.clone(),
                reason: e.reason.clone(),
                ..Default::default()
            }))
        }
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
            numbers: numbers(&envelope.petition_id, ""),
            department: e.department,
            handling_organ: e.handling_organ,
            evaluated_at: envelope.occurred_at,
        })),
        _ => None,
    }
}

/// `record` naming its item by `case_number`, the city number the item's registration got.
pub fn with_city(mut record: Record, case_number: &str) -> Record {
    let numbers = match &mut record {
        Record::Step(s) => s.numbers.as_mut(),
        Record::Evaluation(e) => e.numbers.as_mut(),
        // An item's record has it from the registration, a transfer's from the item's record.
        Record::Item(_) | Record::Transfer(_) => None,
    };
    if let Some(numbers) = numbers {
        numbers.city = case_number.to_owned();
    }
    record
}

/// `record` with its codes mapped again by the mapping in use (after a correction).
pub fn remapped(mut record: Record, mapping: &Mapping<'_>) -> Record {
    let again = |table: &str, code: &mut Option<ex::MappedCode>| {
        if let Some(c) = code.as_ref() {
            *code = mapping.code(table, &c.local);
        }
    };
    let item_again = |item: &mut ex::ExchangeItem| {
        again("channel", &mut item.channel);
        again("content_category", &mut item.content_category);
        again("region", &mut item.region);
    };
    match &mut record {
        Record::Item(item) => item_again(item),
        Record::Transfer(t) => {
            if let Some(item) = t.item.as_mut() {
                item_again(item);
            }
        }
        Record::Step(step) => {
            again("action", &mut step.action);
            again("organ", &mut step.organ);
            again("organ", &mut step.destination);
        }
        Record::Evaluation(_) => {}
    }
    record
}
