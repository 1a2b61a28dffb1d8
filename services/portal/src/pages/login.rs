//! Signing in and out, and the language switch.

use crate::failure::{PageError, PageResult};
use crate::lang::{self, Lang};
use crate::layout::Frame;
use crate::session;
use crate::state::Portal;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use maud::{Markup, html};
use serde::Deserialize;
use xinfang_platform::auth::Claims;
use xinfang_platform::policy::Role;

pub async fn form(State(portal): State<Portal>, frame: Frame) -> Markup {
    let t = |zh, en| frame.t(zh, en);
    let reference = portal.reference.current();
    frame.page(
        t("工作人员登录", "Staff login"),
        html! {
            h1 { (t("工作人员登录", "Staff login")) }
            form method="post" action="/login" {
                (frame.csrf.field())
                label { (t("令牌（由统一身份认证签发）", "Token (issued by the identity provider)"))
                    textarea name="token" rows="4" autocomplete="off" {} }
                button type="submit" { (t("登录", "Sign in")) }
            }
            @if portal.dev_key.is_some() {
                h2 { (t("本机试用登录", "Dev login (embedded node only)")) }
                form method="post" action="/login" {
                    (frame.csrf.field())
                    label { (t("单位", "Unit"))
                        select name="unit" {
                            @for u in reference.org.units() { option value=(u.code) { (u.name) " (" (u.code) ")" } }
                        }
                    }
                    label { (t("角色", "Role"))
                        select name="role" {
                            @for r in Role::ALL.iter().filter(|r| **r != Role::Exchange) {
                                option value=(r.as_str()) { (r.as_str()) }
                            }
                        }
                    }
                    label { (t("姓名", "Name")) input name="name" value="dev"; }
                    button type="submit" { (t("登录", "Sign in")) }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    token: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    name: String,
}

pub async fn sign_in(
    State(portal): State<Portal>,
    jar: CookieJar,
    Form(c): Form<Credentials>,
) -> PageResult {
    let token = match (&portal.dev_key, c.unit.trim()) {
        (Some(key), unit) if !unit.is_empty() => {
            let role = Role::parse(c.role.trim())
                .filter(|r| *r != Role::Exchange)
                .ok_or_else(|| PageError::BadRequest(format!("role: unknown role {:?}", c.role)))?;
            let name = match c.name.trim() {
                "" => "dev",
                n => n,
            };
            let claims = Claims::new(
                &portal.auth_settings,
                name,
                name,
                unit,
                &[role.as_str()],
                portal.settings.dev_login_minutes * 60,
            );
            key.sign(&claims)
        }
        _ => c.token.trim().to_owned(),
    };
    portal
        .auth
        .verify(&token)
        .map_err(|refusal| PageError::BadRequest(format!("token: {}", refusal.message)))?;
    let jar = jar.add(session::cookie(&portal, token));
    Ok((jar, Redirect::to("/console")).into_response())
}

pub async fn sign_out(jar: CookieJar) -> impl IntoResponse {
    (jar.remove(session::ended()), Redirect::to("/"))
}

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    back: String,
}

/// Sets the language and goes back to the page it was chosen on (only a path of this site).
pub async fn language(
    State(portal): State<Portal>,
    jar: CookieJar,
    Path(code): Path<String>,
    Query(q): Query<Back>,
) -> PageResult {
    let lang = Lang::parse(&code).ok_or(PageError::NotFound)?;
    let back = if q.back.starts_with('/') && !q.back.starts_with("//") && !q.back.starts_with("/\\")
    {
        q.back
    } else {
        "/".into()
    };
    let cookie = Cookie::build((lang::COOKIE, lang.tag()))
        .path("/")
        .secure(portal.settings.secure_cookies)
        .same_site(SameSite::Lax)
        .build();
    Ok((jar.add(cookie), Redirect::to(&back)).into_response())
}
