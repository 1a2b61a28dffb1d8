//! The shape of one request against the limits: every text field's length and characters,
//! every list's length, every enum's value, the named integers' ranges and every timestamp's
//! year, walked through the message's descriptor so that each RPC of each service (and of the
//! services to come) is held to the same rules without code of its own.

use crate::config::InputSettings;
use prost_reflect::{DynamicMessage, FieldDescriptor, Kind, ReflectMessage, Value};
use xinfang_domain::FieldError;
use xinfang_domain::field::YEARS;

/// Every violation of `message`, each naming its field (`petitioners[2].name`) and the limit.
pub fn violations(message: &DynamicMessage, limits: &InputSettings) -> Vec<FieldError> {
    let mut found = Vec::new();
    walk(message, "", limits, &mut found);
    found
}

fn path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

fn walk(message: &DynamicMessage, at: &str, limits: &InputSettings, found: &mut Vec<FieldError>) {
    if message.descriptor().full_name() == "google.protobuf.Timestamp" {
        timestamp(message, at, found);
        return;
    }
    for (field, value) in message.fields() {
        let here = path(at, field.name());
        match value {
            Value::List(items) => {
                let max = limits
                    .items
                    .get(field.name())
                    .copied()
                    .unwrap_or(limits.max_items);
                if items.len() > max {
                    found.push(FieldError::new(
                        &here,
                        format!("at most {max} items (got {})", items.len()),
                    ));
                    continue;
                }
                for (i, item) in items.iter().enumerate() {
                    one(&field, item, &format!("{here}[{i}]"), limits, found);
                }
            }
            Value::Map(entries) => {
                if entries.len() > limits.max_items {
                    found.push(FieldError::new(
                        &here,
                        format!("at most {} entries", limits.max_items),
                    ));
                }
            }
            value => one(&field, value, &here, limits, found),
        }
    }
}

fn one(
    field: &FieldDescriptor,
    value: &Value,
    at: &str,
    limits: &InputSettings,
    found: &mut Vec<FieldError>,
) {
    match value {
        Value::String(text) => {
            if let Some(problem) = text_problem(field.name(), text, limits) {
                found.push(FieldError::new(at, problem));
            }
        }
        Value::Message(inner) => walk(inner, at, limits, found),
        Value::EnumNumber(n) => {
            if let Kind::Enum(kind) = field.kind()
                && kind.get_value(*n).is_none()
            {
                found.push(FieldError::new(
                    at,
                    format!("{n} is not a value of {}", kind.name()),
                ));
            }
        }
        Value::I32(n) => range(field.name(), i64::from(*n), at, limits, found),
        Value::I64(n) => range(field.name(), *n, at, limits, found),
        Value::U32(n) => range(field.name(), i64::from(*n), at, limits, found),
        Value::U64(n) => range(
            field.name(),
            i64::try_from(*n).unwrap_or(i64::MAX),
            at,
            limits,
            found,
        ),
        _ => {}
    }
}

/// What is wrong with a text field, without repeating it (it may be long, or personal data).
fn text_problem(name: &str, text: &str, limits: &InputSettings) -> Option<String> {
    let max = limits.chars.get(name).copied().unwrap_or(limits.max_chars);
    // Counting stops past the limit: a megabyte of text costs no more than the limit.
    let count = text.chars().take(max + 1).count();
    if count > max {
        return Some(format!("at most {max} characters"));
    }
    let multiline = limits.multiline.iter().any(|m| m == name);
    let bad = text
        .char_indices()
        .find(|(_, c)| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')));
    bad.map(|(at, c)| {
        let position = text[..at].chars().count() + 1;
        format!(
            "control character U+{:04X} at character {position} is not allowed{}",
            u32::from(c),
            if multiline { "" } else { " (one line of text)" }
        )
    })
}

fn range(name: &str, n: i64, at: &str, limits: &InputSettings, found: &mut Vec<FieldError>) {
    if let Some([low, high]) = limits.ranges.get(name)
        && !(*low..=*high).contains(&n)
    {
        found.push(FieldError::new(
            at,
            format!("{n} is outside {low}..={high}"),
        ));
    }
}

fn timestamp(message: &DynamicMessage, at: &str, found: &mut Vec<FieldError>) {
    let seconds = message
        .get_field_by_name("seconds")
        .and_then(|v| v.as_i64())
        .unwrap_or(0);
    let nanos = message
        .get_field_by_name("nanos")
        .and_then(|v| v.as_i32())
        .unwrap_or(0);
    let year = chrono::DateTime::from_timestamp(seconds, 0).map(|t| chrono::Datelike::year(&t));
    let fits = year.is_some_and(|y| YEARS.contains(&y));
    if !fits || !(0..1_000_000_000).contains(&nanos) {
        found.push(FieldError::new(
            at,
            format!("a time in the years {} to {}", YEARS.start(), YEARS.end()),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use xinfang_proto::xinfang::intake::v1::RegisterPetitionRequest;
    use xinfang_proto::xinfang::petition::v1::Petitioner;

    fn dynamic(request: &RegisterPetitionRequest) -> DynamicMessage {
        let pool = prost_reflect::DescriptorPool::decode(xinfang_proto::FILE_DESCRIPTOR_SET)
            .expect("the descriptor set");
        let descriptor = pool
            .get_message_by_name("xinfang.intake.v1.RegisterPetitionRequest")
            .expect("the message");
        DynamicMessage::decode(descriptor, request.encode_to_vec().as_slice()).unwrap()
    }

    fn check(request: &RegisterPetitionRequest) -> Vec<String> {
        violations(&dynamic(request), &InputSettings::default())
            .into_iter()
            .map(|e| e.to_string())
            .collect()
    }

    fn person(name: &str) -> Petitioner {
        Petitioner {
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_field_at_its_limit_passes_and_one_over_is_named() {
        let mut request = RegisterPetitionRequest {
            content: "诉".repeat(20_000),
            petitioners: vec![person(&"名".repeat(100))],
            ..Default::default()
        };
        assert!(check(&request).is_empty(), "{:?}", check(&request));
        request.content.push('诉');
        request.petitioners[0].name.push('名');
        assert_eq!(
            check(&request),
            [
                "content: at most 20000 characters",
                "petitioners[0].name: at most 100 characters"
            ]
        );
    }

    #[test]
    fn lists_enums_ranges_and_times_are_held_to_their_limits() {
        let request = RegisterPetitionRequest {
            petitioners: vec![person("张三"); 51],
            kind: 99,
            headcount: 100_001,
            petitioned_at: Some(prost_types::Timestamp {
                seconds: -62_135_596_800, // 0001-01-01
                nanos: 0,
            }),
            ..Default::default()
        };
        let found = check(&request);
        assert!(found.contains(&"petitioners: at most 50 items (got 51)".to_owned()));
        assert!(
            found
                .iter()
                .any(|e| e.starts_with("kind: 99 is not a value of"))
        );
        assert!(found.contains(&"headcount: 100001 is outside 0..=100000".to_owned()));
        assert!(found.contains(&"petitioned_at: a time in the years 1990 to 2099".to_owned()));
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_in_long_texts_pass() {
        let request = RegisterPetitionRequest {
            content: "第一段\n第二段\t完".into(),
            title: "标题\n".into(),
            petitioners: vec![person("张\u{0}三")],
            ..Default::default()
        };
        assert_eq!(
            check(&request),
            [
                "title: control character U+000A at character 3 is not allowed (one line of text)",
                "petitioners[0].name: control character U+0000 at character 2 is not allowed (one line of text)"
            ]
        );
    }
}
