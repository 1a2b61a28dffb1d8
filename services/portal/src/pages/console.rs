//! The clerk's console (工作台): the work queue with due dates and warnings, the registration form
//! with the screening flags it raised, and a case's timeline with the actions its state allows —
//! 转送, 受理, 延期, 中止计时, 答复. Every action is the dispatch service's own RPC, with the user's token.

use super::{ONLINE_CHANNEL, categories, petitioner, regions, state_label};
use crate::backend::as_user;
use crate::failure::{PageError, PageResult};
use crate::layout::Frame;
use crate::session::Staff;
use crate::state::Portal;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_proto::xinfang::dispatch::v1::*;
use xinfang_proto::xinfang::intake::v1::{GetPetitionRequest, RegisterPetitionRequest};
use xinfang_proto::xinfang::petition::v1::{Deadline, HandlingOpinion, ItemKind, PetitionState};

/// How a due date stands today: 逾期 after it, 预警 within the warning days, else nothing.
pub fn urgency(frame: &Frame, portal: &Portal, due: &str) -> Option<(&'static str, &'static str)> {
    let due = NaiveDate::parse_from_str(due, "%Y-%m-%d").ok()?;
    let today = portal.clock.today();
    if today > due {
        Some(("overdue", frame.t("逾期", "Overdue")))
    } else if (due - today).num_days() <= i64::from(portal.warn_days) {
        Some(("warned", frame.t("预警", "Due soon")))
    } else {
        None
    }
}

/// A deadline with its mark and its explanation.
fn deadline(frame: &Frame, portal: &Portal, d: Option<&Deadline>) -> Markup {
    let Some(d) = d.filter(|d| !d.due_date.is_empty()) else {
        return html! { "—" };
    };
    html! {
        span.due title=(d.explanation) { (d.due_date) }
        @if let Some((class, label)) = urgency(frame, portal, &d.due_date) {
            " " span class=(class) { (label) }
        }
    }
}

pub async fn queue(State(portal): State<Portal>, staff: Staff) -> PageResult {
    let cases = portal
        .backend
        .dispatch()
        .list_cases(as_user(
            ListCasesRequest {
                page_size: 100,
                ..Default::default()
            },
            &staff.token,
        ))
        .await?
        .into_inner()
        .cases;
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            t("工作台", "Console"),
            html! {
                h1 { (t("待办事项", "Work queue")) " · " (portal.unit_name(&staff.caller.org_unit)) }
                @if cases.is_empty() { p { (t("没有待办事项。", "Nothing to do.")) } }
                @else {
                    table id="queue" {
                        thead { tr {
                            th { (t("编号", "Case")) } th { (t("状态", "State")) } th { (t("当前办理", "With")) }
                            th { (t("期限", "Due")) }
                        } }
                        tbody {
                            @for c in &cases {
                                tr {
                                    td { a href={ "/console/case/" (c.petition_id) } { (c.case_number) } }
                                    td { (state_label(c.state)) }
                                    td { (portal.unit_name(if c.responsible_organ_code.is_empty() { &c.first_handler_unit } else { &c.responsible_organ_code })) }
                                    td { (deadline(frame, &portal, c.current_deadline.as_ref())) }
                                }
                            }
                        }
                    }
                }
            },
        )
        .into_response())
}

pub async fn register_form(State(portal): State<Portal>, staff: Staff) -> Markup {
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    let reference = portal.reference.current();
    frame.page(
        t("登记", "Register"),
        html! {
            h1 { (t("信访事项登记", "Register a petition")) }
            form method="post" action="/console/register" {
                (frame.csrf.field())
                input type="hidden" name="key" value=(uuid::Uuid::new_v4());
                label { (t("信访形式", "Channel"))
                    select name="channel" {
                        @for c in reference.channels.iter() {
                            option value=(c.code) selected[c.code == "0300"] { (c.name) }
                        }
                    }
                }
                label { (t("事项发生地", "Where the matter is"))
                    select name="region" { @for (code, name) in regions(&portal) { option value=(code) { (name) " (" (code) ")" } } }
                }
                label { (t("内容分类", "Category"))
                    select name="category" { @for (code, name) in categories(&portal) { option value=(code) { (name) } } }
                }
                label { (t("标题", "Title")) input name="title" required; }
                label { (t("信访内容", "Content")) textarea name="content" required rows="6" {} }
                fieldset {
                    legend { (t("信访人", "Petitioner")) }
                    label { (t("姓名", "Name")) input name="name" required; }
                    label { (t("身份证号", "Resident ID number")) input name="id_number" required autocomplete="off"; }
                    label { (t("手机号", "Mobile phone")) input name="phone" inputmode="tel"; }
                }
                label { (t("事项关键词（用于重复件识别）", "Matter key (finds repeats)")) input name="matter_key"; }
                label.choice { input type="checkbox" name="major_urgent" value="true"; (t("重大紧急", "Major or urgent")) }
                label.choice { input type="checkbox" name="threat" value="true"; (t("扬言", "Threatening")) }
                button type="submit" { (t("登记", "Register")) }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct Registration {
    key: String,
    channel: String,
    region: String,
    category: String,
    title: String,
    content: String,
    name: String,
    id_number: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    matter_key: String,
    #[serde(default)]
    major_urgent: bool,
    #[serde(default)]
    threat: bool,
}

pub async fn register(
    State(portal): State<Portal>,
    staff: Staff,
    Form(r): Form<Registration>,
) -> PageResult {
    let request = RegisterPetitionRequest {
        idempotency_key: r.key,
        kind: ItemKind::Petition as i32,
        channel_code: if r.channel.is_empty() {
            ONLINE_CHANNEL.into()
        } else {
            r.channel
        },
        region_code: r.region.clone(),
        content_category: r.category,
        title: r.title,
        content: r.content,
        petitioners: vec![petitioner(r.name, r.id_number, r.phone, &r.region)],
        matter_key: r.matter_key,
        major_urgent: r.major_urgent,
        threat: r.threat,
        ..Default::default()
    };
    let done = portal
        .backend
        .intake()
        .register_petition(as_user(request, &staff.token))
        .await?
        .into_inner();
    let p = done.petition.unwrap_or_default();
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    Ok(frame
        .page(
            t("已登记", "Registered"),
            html! {
                h1 { (t("已登记", "Registered")) " " (p.case_number) }
                dl {
                    dt { (t("查询码（告知信访人）", "Query code (tell the petitioner)")) } dd.code id="query-code" { (done.query_code) }
                    dt { (t("分流期限", "Triage due")) } dd { (deadline(frame, &portal, p.triage_deadline.as_ref())) }
                }
                (flags(frame, &p.flags))
                p { a href={ "/console/case/" (p.id) } { (t("打开此件", "Open the case")) } }
            },
        )
        .into_response())
}

/// The screening flags, each with why it was raised.
fn flags(frame: &Frame, flags: &[xinfang_proto::xinfang::petition::v1::ScreeningFlag]) -> Markup {
    let t = |zh, en| frame.t(zh, en);
    html! {
        h2 { (t("筛查提示", "Screening flags")) }
        @if flags.is_empty() { p { (t("无", "None")) } }
        ul.flags id="flags" {
            @for f in flags {
                li { strong { (flag_label(f.kind)) } "：" (f.explanation) }
            }
        }
    }
}

fn flag_label(kind: i32) -> &'static str {
    use xinfang_proto::xinfang::petition::v1::FlagKind as K;
    match K::try_from(kind).unwrap_or(K::Unspecified) {
        K::Repeat => "重复信访",
        K::TerminatedMatter => "已终结事项",
        K::LitigationRelated => "涉法涉诉",
        K::StatutoryRoute => "法定途径",
        K::BypassVisit => "越级访",
        K::GroupPetition => "集体访",
        K::MajorUrgent => "重大紧急",
        K::Threat => "扬言",
        K::Anonymous => "匿名",
        K::Unspecified => "—",
    }
}

pub async fn case(
    State(portal): State<Portal>,
    staff: Staff,
    Path(id): Path<String>,
) -> PageResult {
    let token = &staff.token;
    let (mut dispatch, mut intake) = (portal.backend.dispatch(), portal.backend.intake());
    let (case, petition) = tokio::join!(
        dispatch.get_case(as_user(
            GetCaseRequest {
                petition_id: id.clone()
            },
            token
        )),
        intake.get_petition(as_user(GetPetitionRequest { id: id.clone() }, token)),
    );
    let (case, petition) = (case?.into_inner(), petition?.into_inner());
    let route = if case.state == PetitionState::Registered as i32 {
        portal
            .backend
            .dispatch()
            .propose_route(as_user(
                ProposeRouteRequest {
                    petition_id: id.clone(),
                },
                token,
            ))
            .await
            .map(|r| r.into_inner())
            .ok()
    } else {
        None
    };
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    let action = |name: &str| format!("/console/case/{id}/{name}");
    Ok(frame
        .page(
            &case.case_number,
            html! {
                h1 { (case.case_number) " " span id="case-state" { (state_label(case.state)) } }
                dl {
                    dt { (t("标题", "Title")) } dd { (petition.title) }
                    dt { (t("内容", "Content")) } dd.content { (petition.content) }
                    @for p in &petition.petitioners {
                        dt { (t("信访人", "Petitioner")) } dd { (p.name) " " (p.id_number) " " (p.phone) }
                    }
                    dt { (t("登记单位", "Registered by")) } dd { (portal.unit_name(&petition.registering_unit)) }
                    dt { (t("当前期限", "Due")) } dd id="due" { (deadline(frame, &portal, case.current_deadline.as_ref())) }
                    @if let Some(d) = &case.current_deadline { dt { (t("期限说明", "How it is counted")) } dd.explanation { (d.explanation) } }
                }
                (flags(frame, &petition.flags))
                h2 { (t("办理过程", "Timeline")) }
                ol.timeline id="timeline" {
                    @for s in &case.steps {
                        li {
                            time { (portal.show(s.occurred_at.as_ref())) }
                            strong { (step_label(&s.action)) }
                            // Who acted: the actor's unit (the office that approved an
                            // extension), else the organ the step concerns.
                            " · " (portal.unit_name(s.actor.as_ref().map(|a| a.org_unit.as_str()).filter(|u| !u.is_empty()).unwrap_or(&s.organ_code)))
                            @if !s.destination_organ_code.is_empty() { " → " (portal.unit_name(&s.destination_organ_code)) }
                            @if !s.text.is_empty() { p { (s.text) } }
                            @if !s.reason.is_empty() { p { (s.reason) } }
                        }
                    }
                }
                h2 { (t("操作", "Actions")) }
                @match PetitionState::try_from(case.state).unwrap_or(PetitionState::Unspecified) {
                    PetitionState::Registered => {
                        form id="forward" method="post" action=(action("forward")) {
                            (frame.csrf.field())
                            label { (t("转送至", "Forward to"))
                                select name="organ" {
                                    @for code in route.iter().flat_map(|r| r.organ_codes.iter()) {
                                        option value=(code) { (portal.unit_name(code)) }
                                    }
                                }
                            }
                            @if let Some(r) = &route { p.hint { (r.explanation) } }
                            label { (t("附言", "Note")) input name="text"; }
                            button type="submit" { (t("转送", "Forward")) }
                        }
                    }
                    PetitionState::Forwarded | PetitionState::Assigned => {
                        form id="accept" method="post" action=(action("accept")) {
                            (frame.csrf.field())
                            label { (t("受理告知", "Acceptance notice")) textarea name="text" rows="3" { (t("您反映的问题已受理，我单位将依法办理。", "Your petition is accepted.")) } }
                            button type="submit" { (t("受理", "Accept")) }
                        }
                    }
                    PetitionState::Accepted => {
                        form id="answer" method="post" action=(action("answer")) {
                            (frame.csrf.field())
                            label { (t("处理意见", "Opinion"))
                                select name="opinion" {
                                    option value=(HandlingOpinion::Support as i32) { (t("支持", "Support")) }
                                    option value=(HandlingOpinion::Explain as i32) { (t("解释说明", "Explain")) }
                                    option value=(HandlingOpinion::NotSupport as i32) { (t("不予支持", "Not support")) }
                                }
                            }
                            label { (t("处理意见书", "Written opinion")) textarea name="text" required rows="4" {} }
                            button type="submit" { (t("答复", "Answer")) }
                        }
                        @if extension_pending(&case) {
                            form id="decide-extension" method="post" action=(action("decide-extension")) {
                                (frame.csrf.field())
                                fieldset {
                                    legend { (t("延期审批", "Decide the extension")) }
                                    label.choice { input type="radio" name="approved" value="true" required; (t("批准", "Approve")) }
                                    label.choice { input type="radio" name="approved" value="false"; (t("不批准", "Refuse")) }
                                }
                                label { (t("理由", "Reason")) input name="text"; }
                                button type="submit" { (t("审批", "Decide")) }
                            }
                        } @else if !case.extension_used {
                            form id="extend" method="post" action=(action("extend")) {
                                (frame.csrf.field())
                                label { (t("延期天数（最多30日）", "Days (at most 30)")) input name="days" type="number" min="1" max="30" required; }
                                label { (t("延期理由（告知信访人）", "Reason (told to the petitioner)")) input name="text" required; }
                                button type="submit" { (t("申请延期", "Request an extension")) }
                            }
                        }
                        @if case.running_pause.is_none() {
                            form id="pause" method="post" action=(action("pause")) {
                                (frame.csrf.field())
                                label { (t("中止计时", "Stop the clock"))
                                    select name="kind" {
                                        option value=(PauseKind::Hearing as i32) { (t("听证", "Hearing")) }
                                        option value=(PauseKind::Appraisal as i32) { (t("鉴定", "Appraisal")) }
                                        option value=(PauseKind::Inspection as i32) { (t("核查", "Inspection")) }
                                    }
                                }
                                label { (t("开始日期", "From")) input name="date" type="date" required value=(portal.clock.today()); }
                                label { (t("理由", "Reason")) input name="text" required; }
                                button type="submit" { (t("中止计时", "Stop the clock")) }
                            }
                        } @else {
                            form id="resume" method="post" action=(action("resume")) {
                                (frame.csrf.field())
                                label { (t("中止的最后一日", "Last day of the pause")) input name="date" type="date" required value=(portal.clock.today()); }
                                button type="submit" { (t("恢复计时", "Restart the clock")) }
                            }
                        }
                    }
                    _ => { p { (t("此状态下无需操作。", "Nothing to do in this state.")) } }
                }
            },
        )
        .into_response())
}

/// An extension asked for (延期申请) and not yet decided (延期审批).
fn extension_pending(case: &Case) -> bool {
    case.steps
        .iter()
        .rev()
        .find_map(|s| match s.action.as_str() {
            "request_extension" => Some(true),
            "decide_extension" => Some(false),
            _ => None,
        })
        .unwrap_or(false)
}

/// A timeline step's name (dispatch's `announce::action`) as clerks say it.
fn step_label(action: &str) -> &str {
    match action {
        "opened" => "登记",
        "forward" => "转送",
        "assign" => "交办",
        "redirect" => "引导法定途径",
        "not_accept" => "不予受理",
        "escalate" => "上报",
        "accept" => "受理",
        "object" => "异议",
        "assign_handler" => "指定承办人",
        "progress" => "办理进展",
        "request_extension" => "延期申请",
        "decide_extension" => "延期审批",
        "answer" => "答复",
        "completion_report" => "办结报告",
        "transfer" => "移交",
        "transfer_out" => "转有权处理地",
        "decide_suggestion" => "建议采纳",
        "pause" => "中止计时",
        "resume" => "恢复计时",
        "recompute_deadline" => "期限重算",
        other => other,
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    organ: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    opinion: i32,
    #[serde(default)]
    days: i32,
    #[serde(default)]
    kind: i32,
    #[serde(default)]
    date: String,
    #[serde(default)]
    approved: bool,
}

/// One action on a case, then back to its page.
pub async fn act(
    State(portal): State<Portal>,
    staff: Staff,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<ActionForm>,
) -> PageResult {
    let mut dispatch = portal.backend.dispatch();
    let token = &staff.token;
    let petition_id = id.clone();
    match action.as_str() {
        "forward" => {
            let m = ForwardRequest {
                petition_id,
                organ_code: f.organ,
                note: f.text,
            };
            dispatch.forward(as_user(m, token)).await?;
        }
        "accept" => {
            let m = AcceptRequest {
                petition_id,
                notice_text: f.text,
            };
            dispatch.accept(as_user(m, token)).await?;
        }
        "answer" => {
            let m = AnswerRequest {
                petition_id,
                opinion: f.opinion,
                text: f.text,
            };
            dispatch.answer(as_user(m, token)).await?;
        }
        "extend" => {
            let m = RequestExtensionRequest {
                petition_id,
                days: f.days,
                reason: f.text,
            };
            dispatch.request_extension(as_user(m, token)).await?;
        }
        "decide-extension" => {
            let m = DecideExtensionRequest {
                petition_id,
                approved: f.approved,
                reason: f.text,
            };
            dispatch.decide_extension(as_user(m, token)).await?;
        }
        "pause" => {
            let m = StartPauseRequest {
                petition_id,
                kind: f.kind,
                reason: f.text,
                start_date: f.date,
            };
            dispatch.start_pause(as_user(m, token)).await?;
        }
        "resume" => {
            let m = EndPauseRequest {
                petition_id,
                end_date: f.date,
            };
            dispatch.end_pause(as_user(m, token)).await?;
        }
        _ => return Err(PageError::NotFound),
    }
    Ok(Redirect::to(&format!("/console/case/{id}")).into_response())
}
