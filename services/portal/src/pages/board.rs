//! The supervisor's board (督查督办): what is overdue (逾期), what is due with its warning (预警), and the
//! supervision orders (督办单) with their replies — all within the user's scope. A supervisor
//! issues an order on an item from here; the organ it is addressed to replies from here.

use crate::backend::as_user;
use crate::failure::PageResult;
use crate::session::Staff;
use crate::state::Portal;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use maud::html;
use serde::Deserialize;
use xinfang_proto::xinfang::supervision::v1::{
    IssueSupervisionOrderRequest, ListDueItemsRequest, ListSupervisionOrdersRequest,
    ReplyToSupervisionOrderRequest,
};

pub async fn board(State(portal): State<Portal>, staff: Staff) -> PageResult {
    let mut supervision = portal.backend.supervision();
    let due = supervision
        .list_due_items(as_user(
            ListDueItemsRequest {
                page_size: 200,
                ..Default::default()
            },
            &staff.token,
        ))
        .await?
        .into_inner()
        .items;
    let orders = supervision
        .list_supervision_orders(as_user(
            ListSupervisionOrdersRequest {
                page_size: 200,
                ..Default::default()
            },
            &staff.token,
        ))
        .await?
        .into_inner()
        .orders;
    let frame = &staff.frame;
    let t = |zh, en| frame.t(zh, en);
    let supervises = staff.caller.has_role("supervisor");
    let (overdue, in_time): (Vec<_>, Vec<_>) = due.iter().partition(|d| d.overdue);
    let list = |items: &[&xinfang_proto::xinfang::supervision::v1::DueItem], id: &str| {
        html! {
            table id=(id) {
                thead { tr {
                    th { (t("编号", "Case")) } th { (t("期限", "Limit")) } th { (t("期满日", "Due")) } th { (t("单位", "Unit")) }
                    @if supervises { th { (t("督办", "Order")) } }
                } }
                tbody {
                    @for d in items {
                        @let deadline = d.deadline.clone().unwrap_or_default();
                        tr {
                            td { a href={ "/console/case/" (d.petition_id) } { (d.case_number) } }
                            td { (xinfang_domain::clock::label_of(&deadline.limit_name)) }
                            td title=(deadline.explanation) {
                                (deadline.due_date)
                                @if d.warned && !d.overdue { " " span.warned { (t("预警", "Due soon")) } }
                            }
                            td { (portal.unit_name(&d.organ_code)) }
                            @if supervises {
                                td {
                                    form.inline method="post" action="/board/orders" {
                                        (frame.csrf.field())
                                        input type="hidden" name="petition_id" value=(d.petition_id);
                                        input name="reason" required placeholder=(t("督办事由", "Reason"));
                                        button type="submit" { (t("督办", "Issue")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(frame
        .page(
            t("督查督办", "Supervision"),
            html! {
                h1 { (t("督查督办", "Supervision")) }
                h2 { (t("逾期", "Overdue")) " (" (overdue.len()) ")" }
                (list(&overdue, "overdue"))
                h2 { (t("在期（按期满日）", "In time, by due date")) " (" (in_time.len()) ")" }
                (list(&in_time, "due"))
                h2 { (t("督办单", "Supervision orders")) " (" (orders.len()) ")" }
                table id="orders" {
                    thead { tr { th { (t("单位", "To")) } th { (t("事由", "Reason")) } th { (t("回复期限", "Reply by")) } th { (t("回复", "Reply")) } } }
                    tbody {
                        @for o in &orders {
                            tr {
                                td { (portal.unit_name(&o.organ_code)) }
                                td { a href={ "/console/case/" (o.petition_id) } { (o.reason) } }
                                td { (o.reply_due_date) @if o.escalated { " " span.overdue { (t("已升级", "Escalated")) } } }
                                td {
                                    @if o.replied { (o.reply_text) }
                                    @else {
                                        span.warned { (t("待回复", "Awaiting reply")) }
                                        // The service answers only the organ it is addressed to.
                                        form.inline method="post" action={ "/board/orders/" (o.id) "/reply" } {
                                            (frame.csrf.field())
                                            label.choice { input type="checkbox" name="complied" value="true"; (t("已落实", "Done")) }
                                            input name="text" required placeholder=(t("回复内容", "Reply"));
                                            button type="submit" { (t("回复", "Reply")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        )
        .into_response())
}

#[derive(Deserialize)]
pub struct Issue {
    petition_id: String,
    reason: String,
}

/// 督办单: an order to the item's organ, its reply due by the configured limit.
pub async fn issue(State(portal): State<Portal>, staff: Staff, Form(f): Form<Issue>) -> PageResult {
    let order = IssueSupervisionOrderRequest {
        petition_id: f.petition_id,
        reason: f.reason,
        ..Default::default()
    };
    portal
        .backend
        .supervision()
        .issue_supervision_order(as_user(order, &staff.token))
        .await?;
    Ok(Redirect::to("/board").into_response())
}

#[derive(Deserialize)]
pub struct Reply {
    #[serde(default)]
    complied: bool,
    text: String,
}

/// The organ's reply to an order addressed to it.
pub async fn reply(
    State(portal): State<Portal>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<Reply>,
) -> PageResult {
    let reply = ReplyToSupervisionOrderRequest {
        order_id: id,
        complied: f.complied,
        text: f.text,
    };
    portal
        .backend
        .supervision()
        .reply_to_supervision_order(as_user(reply, &staff.token))
        .await?;
    Ok(Redirect::to("/board").into_response())
}
