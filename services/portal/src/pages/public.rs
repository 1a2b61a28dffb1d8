//! The citizen's pages (阳光信访): submit a petition online, track it with the query code, evaluate
//! the answer with the SMS link's one-time code, read the leaders' reception calendar and book
//! a place. No login: each call goes as the citizen's own, rate-limited by the service.

use super::{Citizen, petitioner, satisfaction_choice, state_label};
use crate::backend::as_citizen;
use crate::failure::PageResult;
use crate::layout::{Frame, encode};
use crate::state::Portal;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_domain::reference::UnitKind;
use xinfang_proto::xinfang::evaluation::v1::{EvaluationChannel, SubmitEvaluationRequest};
use xinfang_proto::xinfang::intake::v1::{RegisterPetitionRequest, TrackByQueryCodeRequest};
use xinfang_proto::xinfang::jointmeeting::v1::{
    BookReceptionRequest, ListReceptionCalendarRequest,
};
use xinfang_proto::xinfang::petition::v1::ItemKind;

/// 网上信访: the online channel's code in the node's channel table.
pub const ONLINE_CHANNEL: &str = "0100";

pub async fn home(frame: Frame) -> Markup {
    let t = |zh, en| frame.t(zh, en);
    frame.page(
        t("首页", "Home"),
        html! {
            h1 { (t("阳光信访", "Sunshine Xinfang")) }
            p { (t("依法、按期、公开地办理您的信访事项。", "Your petition handled by law, on time and in the open.")) }
            ul.cards {
                li { a href="/submit" { (t("我要信访", "Submit a petition")) } }
                li { a href="/track" { (t("凭查询码查询办理进度", "Track with your query code")) } }
                li { a href="/evaluate" { (t("满意度评价", "Evaluate the answer")) } }
                li { a href="/reception" { (t("领导接访日程与预约", "Leaders' reception days")) } }
            }
        },
    )
}

/// The places a citizen may choose for "where is the matter": every township and county the
/// node's petition offices and governments cover, as `region code — unit name`.
pub fn regions(portal: &Portal) -> Vec<(String, String)> {
    let reference = portal.reference.current();
    let mut regions: Vec<(String, String)> = reference
        .org
        .units()
        .filter(|u| u.kind != UnitKind::Department)
        .map(|u| (u.region.to_string(), u.name.clone()))
        .collect();
    regions.sort();
    regions.dedup_by(|a, b| a.0 == b.0);
    regions
}

/// The content categories an item is registered under: every one below the first level
/// (城乡建设 is a heading; 住房保障 and 征收拆迁安置 are what people petition about).
pub fn categories(portal: &Portal) -> Vec<(String, String)> {
    portal
        .reference
        .current()
        .categories
        .iter()
        .filter(|c| !c.code.ends_with("0000"))
        .map(|c| (c.code.clone(), c.name.clone()))
        .collect()
}

pub async fn submit_form(State(portal): State<Portal>, frame: Frame) -> Markup {
    let t = |zh, en| frame.t(zh, en);
    frame.page(
        t("我要信访", "Submit a petition"),
        html! {
            h1 { (t("我要信访", "Submit a petition")) }
            p.hint { (t("带 * 的为必填项。身份证号和手机号加密保存，页面上只显示部分数字。",
                "Fields with * are required. ID and phone numbers are kept encrypted; pages show only part of them.")) }
            form method="post" action="/submit" {
                (frame.csrf.field())
                input type="hidden" name="key" value=(uuid::Uuid::new_v4());
                label { (t("姓名", "Name")) " *" input name="name" required autocomplete="name"; }
                label { (t("身份证号", "Resident ID number")) " *" input name="id_number" required inputmode="text" autocomplete="off"; }
                label { (t("手机号", "Mobile phone")) " *" input name="phone" required inputmode="tel" autocomplete="tel"; }
                label { (t("事项发生地", "Where the matter is")) " *"
                    select name="region" required {
                        @for (code, name) in regions(&portal) { option value=(code) { (name) " (" (code) ")" } }
                    }
                }
                label { (t("内容分类", "Category")) " *"
                    select name="category" required {
                        @for (code, name) in categories(&portal) { option value=(code) { (name) } }
                    }
                }
                label { (t("标题", "Title")) " *" input name="title" required maxlength="100"; }
                label { (t("信访内容", "What happened and what you ask for")) " *" textarea name="content" required rows="8" {} }
                button type="submit" { (t("提交", "Submit")) }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct Submission {
    key: String,
    name: String,
    id_number: String,
    phone: String,
    region: String,
    category: String,
    title: String,
    content: String,
}

pub async fn submit(
    State(portal): State<Portal>,
    frame: Frame,
    citizen: Citizen,
    Form(s): Form<Submission>,
) -> PageResult {
    let request = RegisterPetitionRequest {
        idempotency_key: s.key,
        kind: ItemKind::Petition as i32,
        channel_code: ONLINE_CHANNEL.into(),
        region_code: s.region.clone(),
        content_category: s.category,
        title: s.title,
        content: s.content,
        petitioners: vec![petitioner(s.name, s.id_number, s.phone, &s.region)],
        ..Default::default()
    };
    let done = portal
        .backend
        .intake()
        .register_petition(as_citizen(request, citizen.0))
        .await?
        .into_inner();
    let petition = done.petition.unwrap_or_default();
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            t("已提交", "Submitted"),
            html! {
                h1 { (t("您的信访事项已提交", "Your petition has been submitted")) }
                dl {
                    dt { (t("信访件编号", "Case number")) } dd id="case-number" { (petition.case_number) }
                    dt { (t("查询码", "Query code")) } dd.code id="query-code" { (done.query_code) }
                    dt { (t("受理机构", "Received by")) } dd { (portal.unit_name(&petition.registering_unit)) }
                    @for p in &petition.petitioners {
                        dt { (t("信访人", "Petitioner")) } dd { (p.name) " " (p.id_number) " " (p.phone) }
                    }
                }
                p.notice { (t("请记下查询码：凭它查询办理进度和进行满意度评价。它只显示这一次。",
                    "Write the query code down: you need it to track the petition and to evaluate the answer. It is shown only this once.")) }
                p { a href={ "/track?code=" (encode(&done.query_code)) } { (t("查看办理进度", "See its progress")) } }
            },
        )
        .into_response())
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    token: String,
}

pub async fn track(
    State(portal): State<Portal>,
    frame: Frame,
    citizen: Citizen,
    Query(q): Query<CodeQuery>,
) -> PageResult {
    let t = |zh, en| frame.t(zh, en);
    let form = html! {
        form method="get" action="/track" {
            label { (t("查询码", "Query code")) input name="code" value=(q.code) required autocomplete="off"; }
            button type="submit" { (t("查询", "Track")) }
        }
    };
    if q.code.trim().is_empty() {
        return Ok(frame
            .page(
                t("查询", "Track"),
                html! { h1 { (t("办理进度查询", "Track a petition")) } (form) },
            )
            .into_response());
    }
    let found = portal
        .backend
        .intake()
        .track_by_query_code(as_citizen(
            TrackByQueryCodeRequest {
                query_code: q.code.clone(),
            },
            citizen.0,
        ))
        .await?
        .into_inner();
    Ok(frame
        .page(
            t("办理进度", "Progress"),
            html! {
                h1 { (t("办理进度", "Progress")) }
                dl {
                    dt { (t("信访件编号", "Case number")) } dd { (found.case_number) }
                    dt { (t("标题", "Title")) } dd { (found.title) }
                    dt { (t("信访人", "Petitioner")) } dd { (found.petitioner_names.join("、")) }
                    dt { (t("状态", "State")) } dd id="state" { (state_label(found.state)) }
                    dt { (t("登记时间", "Registered")) } dd { (portal.show(found.registered_at.as_ref())) }
                    @if !found.expected_date.is_empty() {
                        dt { (t("下一步期限", "Next step due by")) } dd id="expected" { (found.expected_date) }
                    }
                }
                h2 { (t("办理过程", "Steps")) }
                ol.timeline id="steps" {
                    @for step in &found.steps {
                        li {
                            time { (portal.show(step.occurred_at.as_ref())) }
                            strong { (step.title) }
                            @if !step.organ_name.is_empty() { " · " (step.organ_name) }
                            @if !step.text.is_empty() { p { (step.text) } }
                        }
                    }
                }
                p { a href={ "/evaluate?code=" (encode(&q.code)) } { (t("对处理意见进行评价", "Evaluate the answer")) } }
                (form)
            },
        )
        .into_response())
}

pub async fn evaluate_form(frame: Frame, Query(q): Query<CodeQuery>) -> Markup {
    let t = |zh, en| frame.t(zh, en);
    frame.page(
        t("满意度评价", "Evaluate"),
        html! {
            h1 { (t("满意度评价", "Evaluate the answer")) }
            p.hint { (t("评价码在答复后的短信里，只能使用一次。", "The evaluation code comes by SMS with the answer; it works once.")) }
            form method="post" action="/evaluate" {
                (frame.csrf.field())
                label { (t("查询码", "Query code")) " *" input name="code" value=(q.code) required autocomplete="off"; }
                label { (t("评价码", "Evaluation code")) " *" input name="token" value=(q.token) required autocomplete="off"; }
                (satisfaction_choice(&frame, "department", t("对信访部门的评价", "The petition office")))
                (satisfaction_choice(&frame, "handling_organ", t("对办理单位的评价", "The organ that handled it")))
                label { (t("意见", "Comment")) textarea name="comment" rows="4" {} }
                button type="submit" { (t("提交评价", "Send")) }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct EvaluationForm {
    code: String,
    token: String,
    department: i32,
    handling_organ: i32,
    #[serde(default)]
    comment: String,
}

pub async fn evaluate(
    State(portal): State<Portal>,
    frame: Frame,
    citizen: Citizen,
    Form(f): Form<EvaluationForm>,
) -> PageResult {
    portal
        .backend
        .evaluation()
        .submit_evaluation(as_citizen(
            SubmitEvaluationRequest {
                query_code: f.code,
                token: f.token,
                department: f.department,
                handling_organ: f.handling_organ,
                comment: f.comment,
                channel: EvaluationChannel::Web as i32,
                ..Default::default()
            },
            citizen.0,
        ))
        .await?;
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            t("评价已提交", "Thank you"),
            html! { h1 id="evaluated" { (t("评价已提交，谢谢。", "Your evaluation has been recorded. Thank you.")) } },
        )
        .into_response())
}

pub async fn reception(State(portal): State<Portal>, frame: Frame, citizen: Citizen) -> PageResult {
    let calendar = portal
        .backend
        .jointmeeting()
        .list_reception_calendar(as_citizen(
            ListReceptionCalendarRequest::default(),
            citizen.0,
        ))
        .await?
        .into_inner();
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            t("领导接访", "Receptions"),
            html! {
                h1 { (t("领导接访日程", "Leaders' reception days")) }
                @if calendar.days.is_empty() { p { (t("近期没有公布的接访日。", "No reception day is published.")) } }
                @for day in &calendar.days {
                    section.card {
                        h2 { (day.date) " " (day.leader_name) " " (day.leader_post) }
                        p { (t("分管领域", "Portfolio")) "：" (day.portfolio) " · " (t("地点", "Place")) "：" (day.place) }
                        p { (t("已预约", "Booked")) " " (day.booked) " / " (day.capacity) }
                        @if day.booked < day.capacity {
                            form method="post" action="/reception/book" {
                                (frame.csrf.field())
                                input type="hidden" name="day" value=(day.id);
                                label { (t("姓名", "Name")) input name="name" required; }
                                label { (t("手机号", "Mobile phone")) input name="phone" required inputmode="tel"; }
                                label { (t("反映事项", "Matter")) textarea name="matter" required rows="3" {} }
                                button type="submit" { (t("预约", "Book")) }
                            }
                        }
                    }
                }
            },
        )
        .into_response())
}

#[derive(Deserialize)]
pub struct BookingForm {
    day: String,
    name: String,
    phone: String,
    matter: String,
}

pub async fn book(
    State(portal): State<Portal>,
    frame: Frame,
    citizen: Citizen,
    Form(b): Form<BookingForm>,
) -> PageResult {
    let booking = portal
        .backend
        .jointmeeting()
        .book_reception(as_citizen(
            BookReceptionRequest {
                reception_day_id: b.day,
                name: b.name,
                phone: b.phone,
                matter: b.matter,
            },
            citizen.0,
        ))
        .await?
        .into_inner();
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            t("预约成功", "Booked"),
            html! {
                h1 { (t("预约成功", "Booked")) }
                p { (booking.name) " " (booking.phone_masked) }
            },
        )
        .into_response())
}
