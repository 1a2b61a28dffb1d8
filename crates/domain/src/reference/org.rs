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

    pub fn parent_of(&self, code: &str) -> Option<&OrgUnit> {
        self.unit(code)?
            .parent
            .as_deref()
            .and_then(|p| self.unit(p))
    }

    /// The unit itself, then its parent, up to the root.
    pub fn chain(&self, code: &str) -> Vec<&OrgUnit> {
        let mut chain = Vec::new();
        let mut next = self.unit(code);
        while let Some(unit) = next {
            if chain.iter().any(|u: &&OrgUnit| u.code == unit.code) {
                break; // a cycle in the data; stop rather than loop
            }
            chain.push(unit);
            next = unit.parent.as_deref().and_then(|p| self.unit(p));
        }
        chain
    }

    /// The nearest unit above both `a` and `b` (Art. 24: jurisdiction disputes go there).
    pub fn common_superior(&self, a: &str, b: &str) -> Option<&OrgUnit> {
        let above_b = self.chain(b);
        self.chain(a)
            .into_iter()
            .skip(1)
            .find(|u| above_b.iter().skip(1).any(|v| v.code == u.code))
    }

    /// 路由建议: the units competent for `category` whose region contains `region`, the most
    /// local first.
    pub fn competent_units(&self, region: &RegionCode, category: &str) -> Vec<&OrgUnit> {
        let mut units: Vec<&OrgUnit> = self
            .units
            .values()
            .filter(|u| u.region.contains(region))
            .filter(|u| {
                u.competences
                    .iter()
                    .any(|c| category.starts_with(c.as_str()))
            })
            .collect();
        units.sort_by_key(|u| std::cmp::Reverse(u.region.level()));
        units
    }

    /// The most local unit of one of `kinds` whose region holds `region` (a petition office
    /// before a government of the same region): who receives an item that arrives without a
    /// registering unit — a citizen's online submission, an item the province assigns.
    pub fn most_local(&self, region: &RegionCode, kinds: &[UnitKind]) -> Option<&OrgUnit> {
        self.units
            .values()
            .filter(|u| kinds.contains(&u.kind) && u.region.contains(region))
            .max_by_key(|u| (u.region.level(), u.kind == UnitKind::PetitionOffice))
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
    fn routing_proposes_the_most_local_competent_unit() {
        let tree = OrgTree::parse(Source {
            name: "org.toml",
            text: include_str!("../../../../config/reference/org.toml"),
        })
        .unwrap();
        let township = RegionCode::parse("340102001").unwrap();
        let codes: Vec<_> = tree
            .competent_units(&township, "020100")
            .iter()
            .map(|u| u.code.as_str())
            .collect();
        assert_eq!(codes, vec!["east-t1", "east-rsj", "city-rsj"]);
        assert_eq!(
            tree.common_superior("east-t1", "east-rsj").unwrap().code,
            "east-xfj"
        );
        assert_eq!(
            tree.common_superior("east-t1", "west-t1").unwrap().code,
            "city-xfj"
        );
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
