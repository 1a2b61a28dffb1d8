//! zh-CN first, English second: the language is the `lang` cookie's (set by the switch in the
//! page header), Chinese when there is none. Every text is written as the pair, side by side, so
//! that neither is forgotten.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use std::convert::Infallible;

pub const COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        self.t("zh-CN", "en")
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        let jar = CookieJar::from_request_parts(parts, state).await?;
        Ok(jar
            .get(COOKIE)
            .and_then(|c| Lang::parse(c.value()))
            .unwrap_or(Lang::Zh))
    }
}
