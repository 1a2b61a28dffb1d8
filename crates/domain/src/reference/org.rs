//! 组织机构: the organisation tree of a node. A city node hosts its counties and townships as
//! units; each unit serves a region (its scope: a township sees its own items, a county its
//! townships, the city all) and may be competent for some content categories.

use super::{ReferenceError, Source};
use crate::region::{RegionCode, RegionLevel};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitKind {
    /// 信访局 / 信访办: registers and triages.
    PetitionOffice,
    /// 职能部门: receives, handles and answers.
    Department,
    /// 乡镇街道 / 县区人民政府.
    Government,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub region: RegionCode,
    pub parent: Option<String>,
    /// Content-category prefixes this unit is competent for (`03` = every 03xxxx category).
    pub competences: Vec<String>,
}

impl OrgUnit {
    pub fn level(&self) -> RegionLevel {
        self.region.level()
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrgTree {
    node_region: Option<RegionCode>,
    units: BTreeMap<String, OrgUnit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    node: NodeRow,
    unit: Vec<UnitRow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeRow {
    region: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitRow {
    code: Spanned<String>,
    name: String,
    kind: Spanned<String>,
    region: Spanned<String>,
    parent: Option<Spanned<String>>,
    #[serde(default)]
    competences: Vec<String>,
}

impl OrgTree {
    pub fn parse(source: Source<'_>) -> Result<Self, ReferenceError> {
        let file: File = source.parse()?;
        let node_region = RegionCode::parse(file.node.region.get_ref())
            .map_err(|e| source.error_at(file.node.region.span().start, e))?;
        let mut units = BTreeMap::new();
        let mut parents = Vec::new();
        for row in file.unit {
            let at = row.code.span().start;
            let code = row.code.into_inner();
            let kind = match row.kind.get_ref().as_str() {
                "petition_office" => UnitKind::PetitionOffice,
                "department" => UnitKind::Department,
                "government" => UnitKind::Government,
                other => {
                    return Err(source.error_at(
                        row.kind.span().start,
                        format!("kind {other:?} is not petition_office, department or government"),
                    ));
                }
            };
            let region = RegionCode::parse(row.region.get_ref())
                .map_err(|e| source.error_at(row.region.span().start, e))?;
            if !node_region.contains(&region) {
                return Err(source.error_at(
                    row.region.span().start,
                    format!(
                        "unit {code} serves region {region}, outside this node's {node_region}"
                    ),
                ));
            }
            if let Some(parent) = &row.parent {
                parents.push((code.clone(), parent.clone()));
            }
            let unit = OrgUnit {
                code: code.clone(),
                name: row.name,
                kind,
                region,
                parent: row.parent.map(Spanned::into_inner),
                competences: row.competences,
            };
            if units.insert(code.clone(), unit).is_some() {
                return Err(source.error_at(at, format!("unit code {code} is listed twice")));
            }
        }
        for (child, parent) in parents {
            if !units.contains_key(parent.get_ref()) {
                return Err(source.error_at(
                    parent.span().start,
                    format!(
                        "unit {child} names parent {} which is not in the tree",
                        parent.get_ref()
                    ),
                ));
            }
        }
        Ok(Self {
            node_region: Some(node_region),
            units,
        })
    }

    /// The region this node is responsible for.
    pub fn node_region(&self) -> Option<&RegionCode> {
        self.node_region.as_ref()
    }

    pub fn unit(&self, code: &str) -> Option<&OrgUnit> {
        self.units.get(code)
    }

    pub fn units(&self) -> impl Iterator<Item = &OrgUnit> {
        self.units.values()
    }

    /// Whether a region belongs to this node: a unit serves it, or it is a village of a township
    /// that a unit serves (villages need not be listed).
    pub fn knows_region(&self, region: &RegionCode) -> bool {
        let served = |code: &str| self.units.values().any(|u| u.region.as_str() == code);
        served(region.as_str())
            || (region.level() == RegionLevel::Village && served(&region.as_str()[..9]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TREE: &str = r#"
[node]
region = "340100"

[[unit]]
code = "city-xfj"
name = "市信访局"
kind = "petition_office"
region = "340100"

[[unit]]
code = "t1"
name = "某某镇"
kind = "government"
region = "340102001"
parent = "city-xfj"
"#;

    fn parse(text: &str) -> Result<OrgTree, ReferenceError> {
        OrgTree::parse(Source {
            name: "org.toml",
            text,
        })
    }

    #[test]
    fn knows_listed_regions_and_their_villages_only() {
        let tree = parse(TREE).unwrap();
        let code = |s| RegionCode::parse(s).unwrap();
        assert!(tree.knows_region(&code("340100")));
        assert!(tree.knows_region(&code("340102001")));
        assert!(tree.knows_region(&code("340102001003")));
        assert!(!tree.knows_region(&code("340102002")));
        assert!(!tree.knows_region(&code("340200")));
    }

    #[test]
    fn a_unknown_parent_is_reported_on_its_line() {
        let err = parse(&TREE.replace("parent = \"city-xfj\"", "parent = \"nobody\"")).unwrap_err();
        assert_eq!(err.line, 16);
        assert!(err.message.contains("nobody"));
    }

    #[test]
    fn a_unit_outside_the_node_is_refused() {
        let err = parse(&TREE.replace("340102001", "340202001")).unwrap_err();
        assert!(err.message.contains("outside this node"), "{err}");
    }
}
