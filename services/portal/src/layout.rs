//! The page around every page: the header with the places a person may go (the citizen's, or
//! the signed-in user's by role), the language switch, and the one stylesheet.

use crate::csrf::CsrfToken;
use crate::lang::Lang;
use crate::session;
use crate::state::Portal;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use maud::{DOCTYPE, Markup, html};
use std::convert::Infallible;
use xinfang_platform::auth::Caller;

pub const STYLESHEET: &str = include_str!("../static/site.css");

/// What every page is drawn with: the reader's language, who is signed in (if anyone, with
/// their token), and the browser's CSRF token for the forms.
pub struct Frame {
    pub lang: Lang,
    pub who: Option<Caller>,
    /// The signed-in user's bearer token, for the calls their pages make.
    pub token: Option<String>,
    pub csrf: CsrfToken,
    /// The page's own path and query, for the language switch to come back to.
    pub here: String,
}

impl FromRequestParts<Portal> for Frame {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, portal: &Portal) -> Result<Self, Infallible> {
        let (token, who) = session::signed_in(parts, portal).unzip();
        Ok(Frame {
            lang: Lang::from_request_parts(parts, portal).await?,
            who,
            token,
            csrf: CsrfToken::from_request_parts(parts, portal).await?,
            here: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

impl Frame {
    pub fn t(&self, zh: &'static str, en: &'static str) -> &'static str {
        self.lang.t(zh, en)
    }

    /// `body` as a whole page titled `title`.
    pub fn page(&self, title: &str, body: Markup) -> Markup {
        page(self, title, body)
    }
}

fn page(frame: &Frame, title: &str, body: Markup) -> Markup {
    let lang = frame.lang;
    let t = |zh, en| lang.t(zh, en);
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (t("阳光信访", "Xinfang")) }
                link rel="stylesheet" href="/static/site.css";
            }
            body {
                header {
                    a.brand href="/" { (t("阳光信访", "Sunshine Xinfang")) }
                    nav {
                        @match &frame.who {
                            None => {
                                a href="/submit" { (t("我要信访", "Submit")) }
                                a href="/track" { (t("查询", "Track")) }
                                a href="/evaluate" { (t("评价", "Evaluate")) }
                                a href="/reception" { (t("领导接访", "Receptions")) }
                                a href="/login" { (t("工作人员登录", "Staff login")) }
                            }
                            Some(who) => {
                                a href="/console" { (t("工作台", "Console")) }
                                a href="/console/register" { (t("登记", "Register")) }
                                @if who.has_role("supervisor") || who.has_role("leader") {
                                    a href="/board" { (t("督查督办", "Supervision")) }
                                }
                                a href="/dashboard" { (t("信访指数", "Dashboard")) }
                                form.inline method="post" action="/logout" {
                                    (frame.csrf.field())
                                    button type="submit" { (t("退出", "Sign out")) " " (who.name) "@" (who.org_unit) }
                                }
                            }
                        }
                    }
                    nav.lang {
                        @if lang == Lang::Zh {
                            a href={ "/lang/en?back=" (encode(&frame.here)) } hreflang="en" { "English" }
                        } @else {
                            a href={ "/lang/zh?back=" (encode(&frame.here)) } hreflang="zh-CN" { "中文" }
                        }
                    }
                }
                main { (body) }
                footer { (t("时间均为北京时间", "Times are Beijing time (UTC+8)")) }
            }
        }
    }
}

/// `text` for a query string.
pub fn encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A page with no header, for errors.
pub fn plain_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/static/site.css";
            }
            body { main { (body) p { a href="/" { "首页 · Home" } } } }
        }
    }
}
