//! Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) for the public channel: the
//! content categories as services, a request posted here registered through intake exactly as
//! an online submission (same checks, same rate limits, same screening), and its status read
//! back with the petitioner's public steps.
//!
//! The request's id is its query code (查询码): whoever holds it sees what the petitioner sees
//! and nothing more, and nobody can list other people's requests — a petition is not a pothole.
//! Requests therefore answer only for ids named (`service_request_id`), never a city-wide list.
//! A petition needs what a pothole does not: the petitioner's resident ID number and the region
//! the matter concerns. They are the services' two required attributes (`attribute[id_number]`,
//! `attribute[region]`), as the spec provides for.

mod format;

use crate::backend::as_citizen;
use crate::failure::{field_errors, http_status};
use crate::pages::{Citizen, ONLINE_CHANNEL, categories, petitioner, regions};
use crate::state::Portal;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use format::{Format, Record, Value, errors, respond, split};
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_domain::lifecycle::State as PetitionState;
use xinfang_proto::xinfang::intake::v1::{
    RegisterPetitionRequest, TrackByQueryCodeRequest, TrackByQueryCodeResponse,
};
use xinfang_proto::xinfang::petition::v1::ItemKind;

pub fn routes() -> Router<Portal> {
    Router::new()
        .route("/open311/v2/{file}", get(list).post(post_request))
        .route("/open311/v2/services/{file}", get(definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

fn refusal(status: tonic::Status, format: Format) -> Response {
    let mut text = status.message().to_owned();
    for field in field_errors(&status) {
        text.push_str("; ");
        text.push_str(&field);
    }
    errors(http_status(status.code()), format, &text)
}

fn not_found(format: Format) -> Response {
    errors(StatusCode::NOT_FOUND, format, "no such resource")
}

/// `services.{fmt}` or `requests.{fmt}`.
async fn list(
    State(portal): State<Portal>,
    citizen: Citizen,
    Path(file): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some((name, format)) = split(&file) else {
        return not_found(Format::Json);
    };
    match name {
        "services" => services(&portal, format),
        "requests" => {
            let ids = q
                .get("service_request_id")
                .map(String::as_str)
                .unwrap_or("");
            let ids: Vec<&str> = ids
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if ids.is_empty() {
                return errors(
                    StatusCode::BAD_REQUEST,
                    format,
                    "service_request_id: required; requests are found by their ids only",
                );
            }
            let mut records = Vec::new();
            for id in ids.into_iter().take(10) {
                match track(&portal, &citizen, id).await {
                    Ok(found) => records.push(request_record(&portal, id, &found)),
                    Err(status) if status.code() == tonic::Code::NotFound => {}
                    Err(status) => return refusal(status, format),
                }
            }
            respond(
                StatusCode::OK,
                format,
                "service_requests",
                Some("request"),
                &records,
            )
        }
        _ => not_found(format),
    }
}

fn services(portal: &Portal, format: Format) -> Response {
    let reference = portal.reference.current();
    let records: Vec<Record> = categories(portal)
        .into_iter()
        .map(|(code, name)| {
            // The first level (XX0000) the category belongs to.
            let group = code
                .get(..2)
                .and_then(|top| reference.categories.get(&format!("{top}0000")))
                .map(|c| c.name.clone())
                .unwrap_or_default();
            Record(vec![
                ("service_code", code.into()),
                ("service_name", name.clone().into()),
                ("description", format!("信访事项：{name}").into()),
                ("metadata", Value::Bool(true)),
                ("type", "realtime".into()),
                ("keywords", name.into()),
                ("group", group.into()),
            ])
        })
        .collect();
    respond(
        StatusCode::OK,
        format,
        "services",
        Some("service"),
        &records,
    )
}

/// `services/{code}.{fmt}`: the two attributes every petition needs.
async fn definition(State(portal): State<Portal>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = split(&file) else {
        return not_found(Format::Json);
    };
    if !categories(&portal).iter().any(|(c, _)| c == code) {
        return not_found(format);
    }
    let places: Vec<Record> = regions(&portal)
        .into_iter()
        .map(|(key, name)| Record(vec![("key", key.into()), ("name", name.into())]))
        .collect();
    let attribute = |order: i64,
                     code: &'static str,
                     datatype: &'static str,
                     about: &'static str,
                     values: Vec<Record>| {
        Record(vec![
            ("variable", Value::Bool(true)),
            ("code", code.into()),
            ("datatype", datatype.into()),
            ("required", Value::Bool(true)),
            ("datatype_description", about.into()),
            ("order", Value::Int(order)),
            ("description", about.into()),
            ("values", Value::List("value", values)),
        ])
    };
    let definition = Record(vec![
        ("service_code", code.into()),
        (
            "attributes",
            Value::List(
                "attribute",
                vec![
                    attribute(
                        1,
                        "id_number",
                        "string",
                        "信访人居民身份证号码 (resident ID number, 18 characters)",
                        vec![],
                    ),
                    attribute(
                        2,
                        "region",
                        "singlevaluelist",
                        "事项发生地 (where the matter is)",
                        places,
                    ),
                ],
            ),
        ),
    ]);
    respond(
        StatusCode::OK,
        format,
        "service_definition",
        None,
        &[definition],
    )
}

#[derive(Deserialize)]
struct Posted {
    #[serde(default)]
    service_code: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    address_string: String,
    #[serde(rename = "attribute[id_number]", default)]
    id_number: String,
    #[serde(rename = "attribute[region]", default)]
    region: String,
}

/// `POST requests.{fmt}`: registered by intake as an online submission.
async fn post_request(
    State(portal): State<Portal>,
    citizen: Citizen,
    Path(file): Path<String>,
    Form(p): Form<Posted>,
) -> Response {
    let Some(("requests", format)) = split(&file) else {
        return not_found(Format::Json);
    };
    let category = categories(&portal)
        .into_iter()
        .find(|(c, _)| *c == p.service_code);
    let Some((_, service_name)) = category else {
        return errors(
            StatusCode::BAD_REQUEST,
            format,
            &format!(
                "service_code: {:?} is not a service of this node",
                p.service_code
            ),
        );
    };
    // Chinese names are written family name first.
    let name = format!("{}{}", p.last_name.trim(), p.first_name.trim());
    let mut content = p.description.clone();
    if !p.address_string.trim().is_empty() {
        content.push_str(&format!("\n地点：{}", p.address_string.trim()));
    }
    let title: String = p.description.chars().take(30).collect();
    let request = RegisterPetitionRequest {
        // GeoReport has no idempotency key: a post sent twice is two requests, and intake's
        // screening marks the second a repeat (重复件) of the first.
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        kind: ItemKind::Petition as i32,
        channel_code: ONLINE_CHANNEL.into(),
        region_code: p.region.clone(),
        content_category: p.service_code.clone(),
        title: if title.is_empty() {
            service_name
        } else {
            title
        },
        content,
        petitioners: vec![petitioner(name, p.id_number, p.phone, &p.region)],
        ..Default::default()
    };
    match portal
        .backend
        .intake()
        .register_petition(as_citizen(request, citizen.0))
        .await
    {
        Ok(done) => {
            let done = done.into_inner();
            let case = done.petition.map(|p| p.case_number).unwrap_or_default();
            let record = Record(vec![
                ("service_request_id", done.query_code.into()),
                (
                    "service_notice",
                    format!("已登记，编号 {case}。service_request_id 即查询码，请妥善保存。")
                        .into(),
                ),
                ("account_id", Value::Null),
            ]);
            respond(
                StatusCode::CREATED,
                format,
                "service_requests",
                Some("request"),
                &[record],
            )
        }
        Err(status) => refusal(status, format),
    }
}

async fn track(
    portal: &Portal,
    citizen: &Citizen,
    id: &str,
) -> Result<TrackByQueryCodeResponse, tonic::Status> {
    portal
        .backend
        .intake()
        .track_by_query_code(as_citizen(
            TrackByQueryCodeRequest {
                query_code: id.to_owned(),
            },
            citizen.0,
        ))
        .await
        .map(tonic::Response::into_inner)
}

/// One request found by the id in `file` (`{id}.{fmt}`), as `record` writes it.
async fn found(
    portal: &Portal,
    citizen: &Citizen,
    file: &str,
    record: impl FnOnce(&str, &TrackByQueryCodeResponse) -> Record,
) -> Response {
    let Some((id, format)) = split(file) else {
        return not_found(Format::Json);
    };
    match track(portal, citizen, id).await {
        Ok(found) => respond(
            StatusCode::OK,
            format,
            "service_requests",
            Some("request"),
            &[record(id, &found)],
        ),
        Err(status) => refusal(status, format),
    }
}

/// `requests/{id}.{fmt}`.
async fn one_request(
    State(portal): State<Portal>,
    citizen: Citizen,
    Path(file): Path<String>,
) -> Response {
    found(&portal, &citizen, &file, |id, t| {
        request_record(&portal, id, t)
    })
    .await
}

/// `tokens/{token}.{fmt}`: requests are numbered at once, so a token is the request's own id.
async fn token(
    State(portal): State<Portal>,
    citizen: Citizen,
    Path(file): Path<String>,
) -> Response {
    found(&portal, &citizen, &file, |token, _| {
        Record(vec![
            ("service_request_id", token.into()),
            ("token", token.into()),
        ])
    })
    .await
}

/// Open: still being worked on; closed: answered, or ended another way.
fn status(state: i32) -> &'static str {
    let state = xinfang_proto::xinfang::petition::v1::PetitionState::try_from(state)
        .ok()
        .and_then(xinfang_proto::convert::state_from_wire);
    match state {
        Some(s)
            if s.is_open()
                && s != PetitionState::Answered
                && s != PetitionState::Reviewed
                && s != PetitionState::ReExamined =>
        {
            "open"
        }
        _ => "closed",
    }
}

fn wire_time(at: Option<&prost_types::Timestamp>) -> Value {
    at.and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| Value::Text(t.to_rfc3339_opts(SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

/// The end of the due day (a local date) as an instant on the wire.
fn expected(portal: &Portal, due: &str) -> Value {
    chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d")
        .map(|day| {
            let at = portal.clock.end_of(day);
            Value::Text(at.to_rfc3339_opts(SecondsFormat::Secs, true))
        })
        .unwrap_or(Value::Null)
}

fn request_record(portal: &Portal, id: &str, found: &TrackByQueryCodeResponse) -> Record {
    let last = found.steps.last();
    let agency = found
        .steps
        .iter()
        .rev()
        .find(|s| !s.organ_name.is_empty())
        .map(|s| s.organ_name.clone())
        .unwrap_or_default();
    let notes = last
        .map(|s| match s.text.as_str() {
            "" => s.title.clone(),
            text => format!("{}：{text}", s.title),
        })
        .unwrap_or_default();
    let service_name = portal
        .reference
        .current()
        .categories
        .get(&found.content_category)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    Record(vec![
        ("service_request_id", id.into()),
        ("status", status(found.state).into()),
        ("status_notes", notes.into()),
        ("service_name", service_name.into()),
        ("service_code", found.content_category.clone().into()),
        ("description", found.title.clone().into()),
        ("agency_responsible", agency.into()),
        ("service_notice", found.case_number.clone().into()),
        (
            "requested_datetime",
            wire_time(found.registered_at.as_ref()),
        ),
        (
            "updated_datetime",
            wire_time(last.and_then(|s| s.occurred_at.as_ref())),
        ),
        ("expected_datetime", expected(portal, &found.expected_date)),
        ("address", Value::Null),
        ("lat", Value::Null),
        ("long", Value::Null),
        ("media_url", Value::Null),
    ])
}
