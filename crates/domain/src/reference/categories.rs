//! 内容分类: the content-category code table, hierarchical by code (six digits, three levels:
//! `010000` ⊃ `010100` ⊃ `010101`; `990000` other). A category may name the statutory route its
//! matters usually belong to (诉访分离), which screening proposes; a person decides.

use super::{ReferenceError, Source};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: String,
    pub name: String,
    /// "litigation", "arbitration", "reconsideration", "police" or "discipline".
    pub statutory_route: Option<String>,
    pub province_code: String,
}

#[derive(Debug, Clone, Default)]
pub struct CategoryTable {
    categories: BTreeMap<String, Category>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    category: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Row {
    code: Spanned<String>,
    name: String,
    statutory_route: Option<Spanned<String>>,
    province_code: Option<String>,
}

pub const ROUTES: &[&str] = &[
    "litigation",
    "arbitration",
    "reconsideration",
    "police",
    "discipline",
];

impl CategoryTable {
    pub fn parse(source: Source<'_>) -> Result<Self, ReferenceError> {
        let file: File = source.parse()?;
        let mut categories = BTreeMap::new();
        for row in file.category {
            let span = row.code.span();
            let code = row.code.into_inner();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(source.error_at(
                    span.start,
                    format!("category code {code:?} must be six digits"),
                ));
            }
            let statutory_route = match row.statutory_route {
                Some(route) if !ROUTES.contains(&route.get_ref().as_str()) => {
                    return Err(source.error_at(
                        route.span().start,
                        format!(
                            "statutory_route {:?} is not one of {ROUTES:?}",
                            route.get_ref()
                        ),
                    ));
                }
                route => route.map(Spanned::into_inner),
            };
            let category = Category {
                province_code: row.province_code.unwrap_or_else(|| code.clone()),
                code: code.clone(),
                name: row.name,
                statutory_route,
            };
            if categories.insert(code.clone(), category).is_some() {
                return Err(
                    source.error_at(span.start, format!("category code {code} is listed twice"))
                );
            }
        }
        Ok(Self { categories })
    }

    /// Every category, by code (a level's parent before its children).
    pub fn iter(&self) -> impl Iterator<Item = &Category> {
        self.categories.values()
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.categories.get(code)
    }

    /// The statutory route of a category or of the nearest ancestor that names one.
    pub fn statutory_route(&self, code: &str) -> Option<&str> {
        ancestors(code)
            .filter_map(|c| self.categories.get(&c))
            .find_map(|c| c.statutory_route.as_deref())
    }
}

/// `010101`, then `010100`, then `010000`.
fn ancestors(code: &str) -> impl Iterator<Item = String> + '_ {
    [6usize, 4, 2]
        .into_iter()
        .filter(move |&n| n <= code.len())
        .map(move |n| format!("{:0<6}", &code[..n]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
[[category]]
code = "030000"
name = "政法"
statutory_route = "litigation"

[[category]]
code = "030100"
name = "诉讼"

[[category]]
code = "990000"
name = "其他"
"#;

    fn table() -> CategoryTable {
        CategoryTable::parse(Source {
            name: "categories.toml",
            text: TABLE,
        })
        .unwrap()
    }

    #[test]
    fn a_child_inherits_its_ancestors_statutory_route() {
        assert_eq!(table().statutory_route("030100"), Some("litigation"));
        assert_eq!(table().statutory_route("990000"), None);
    }

    #[test]
    fn a_bad_row_is_reported_with_file_and_line() {
        let text = TABLE.replace("\"990000\"", "\"99\"");
        let err = CategoryTable::parse(Source {
            name: "categories.toml",
            text: &text,
        })
        .unwrap_err();
        assert_eq!(err.file, "categories.toml");
        assert_eq!(err.line, 12);
        assert!(err.message.contains("six digits"));
    }

    #[test]
    fn a_typo_in_a_key_is_reported_not_ignored() {
        let text = TABLE.replace("statutory_route", "statutory_rout");
        let err = CategoryTable::parse(Source {
            name: "c.toml",
            text: &text,
        })
        .unwrap_err();
        assert!(err.message.contains("statutory_rout"), "{err}");
    }
}
