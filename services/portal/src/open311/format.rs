//! GeoReport v2 documents in both of its formats: the same records written as JSON (an array of
//! objects) or as XML (`<services><service>…`), with the element names the spec gives.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

/// One record: its fields in the spec's order.
pub struct Record(pub Vec<(&'static str, Value)>);

pub enum Value {
    Text(String),
    Bool(bool),
    Int(i64),
    /// Absent in XML, null in JSON.
    Null,
    /// A nested list: the XML element of each item, and the items.
    List(&'static str, Vec<Record>),
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::Text(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::Text(text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// `name.json` / `name.xml`: the name and its format.
pub fn split(file: &str) -> Option<(&str, Format)> {
    let (name, extension) = file.rsplit_once('.')?;
    let format = match extension {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    Some((name, format))
}

fn json(record: &Record) -> serde_json::Value {
    serde_json::Value::Object(
        record
            .0
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Text(t) => serde_json::Value::from(t.as_str()),
                    Value::Bool(b) => serde_json::Value::from(*b),
                    Value::Int(i) => serde_json::Value::from(*i),
                    Value::Null => serde_json::Value::Null,
                    Value::List(_, items) => items.iter().map(json).collect(),
                };
                ((*k).to_owned(), v)
            })
            .collect(),
    )
}

fn xml(writer: &mut Writer<Vec<u8>>, element: &str, record: &Record) -> std::io::Result<()> {
    writer
        .create_element(element)
        .write_inner_content(|w| {
            for (name, value) in &record.0 {
                match value {
                    Value::Null => {}
                    Value::Text(t) => {
                        w.create_element(*name)
                            .write_text_content(BytesText::new(t))?;
                    }
                    Value::Bool(b) => {
                        w.create_element(*name)
                            .write_text_content(BytesText::new(if *b {
                                "true"
                            } else {
                                "false"
                            }))?;
                    }
                    Value::Int(i) => {
                        w.create_element(*name)
                            .write_text_content(BytesText::new(&i.to_string()))?;
                    }
                    Value::List(item, items) => {
                        w.create_element(*name).write_inner_content(|w| {
                            items.iter().try_for_each(|r| xml(w, item, r))
                        })?;
                    }
                }
            }
            Ok(())
        })
        .map(|_| ())
}

/// A document: a list of records (`<root><item>…</item></root>`), or with `item` None the one
/// record as the root itself.
pub fn respond(
    status: StatusCode,
    format: Format,
    root: &str,
    item: Option<&str>,
    records: &[Record],
) -> Response {
    match format {
        Format::Json => {
            let body = match item {
                Some(_) => serde_json::Value::Array(records.iter().map(json).collect()),
                None => records.first().map(json).unwrap_or_default(),
            };
            (status, axum::Json(body)).into_response()
        }
        Format::Xml => {
            let mut writer = Writer::new(Vec::new());
            let written = writer
                .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
                .and_then(|_| match (item, records.first()) {
                    (Some(item), _) => writer
                        .create_element(root)
                        .write_inner_content(|w| records.iter().try_for_each(|r| xml(w, item, r)))
                        .map(|_| ()),
                    (None, Some(record)) => xml(&mut writer, root, record),
                    (None, None) => Ok(()),
                });
            if written.is_err() {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                writer.into_inner(),
            )
                .into_response()
        }
    }
}

/// The spec's error document: `[{code, description}]`.
pub fn errors(status: StatusCode, format: Format, description: &str) -> Response {
    let error = Record(vec![
        ("code", Value::Int(i64::from(status.as_u16()))),
        ("description", description.into()),
    ]);
    respond(status, format, "errors", Some("error"), &[error])
}
