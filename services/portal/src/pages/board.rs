//! The supervisor's board (督查督办): what is overdue (逾期), what is due with its warning (预警), and the
//! supervision orders (督办单) with their replies — all within the user's scope.

use crate::backend::as_user;
use crate::failure::PageResult;
use crate::session::Staff;
use crate::state::Portal;
use axum::extract::State;
use axum::response::IntoResponse;
use maud::html;
use xinfang_proto::xinfang::supervision::v1::{ListDueItemsRequest, ListSupervisionOrdersRequest};

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
    let (overdue, in_time): (Vec<_>, Vec<_>) = due.iter().partition(|d| d.overdue);
    let list = |items: &[&xinfang_proto::xinfang::supervision::v1::DueItem], id: &str| {
        html! {
            table id=(id) {
                thead { tr { th { (t("编号", "Case")) } th { (t("期限", "Limit")) } th { (t("期满日", "Due")) } th { (t("单位", "Unit")) } } }
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
                                td { @if o.replied { (o.reply_text) } @else { span.warned { (t("待回复", "Awaiting reply")) } } }
                            }
                        }
                    }
                }
            },
        )
        .into_response())
}
