//! Screening at registration (domain.md, Screening): repeat petitions, terminated matters,
//! statutory-route matters, bypass visits, group petitions and the alert flags. Each flag carries
//! the explanation a clerk reads; statutory routes are proposals, a person decides.

use crate::lifecycle::State;
use crate::region::{RegionCode, RegionLevel};
use chrono::{DateTime, Duration, Utc};

/// Every flag kind, in the order of the bits of a stored flag mask.
pub const FLAG_KINDS: [FlagKind; 9] = [
    FlagKind::Repeat,
    FlagKind::TerminatedMatter,
    FlagKind::LitigationRelated,
    FlagKind::StatutoryRoute,
    FlagKind::BypassVisit,
    FlagKind::GroupPetition,
    FlagKind::MajorUrgent,
    FlagKind::Threat,
    FlagKind::Anonymous,
];

impl FlagKind {
    /// The bit of this flag in a flag mask, for filtering by flags in a query.
    pub fn bit(self) -> i64 {
        1 << FLAG_KINDS.iter().position(|k| *k == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlagKind {
    Repeat,            // 重复信访
    TerminatedMatter,  // 已终结, 不再受理
    LitigationRelated, // 涉法涉诉
    StatutoryRoute,    // other statutory-route matter
    BypassVisit,       // 越级访
    GroupPetition,     // 集体访 / 联名信
    MajorUrgent,       // 重大紧急
    Threat,            // 扬言
    Anonymous,         // 匿名
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub kind: FlagKind,
    pub explanation: String,
    pub related_petition: Option<String>,
    pub proposed_route: Option<String>,
}

impl Flag {
    fn new(kind: FlagKind, explanation: impl Into<String>) -> Self {
        Self {
            kind,
            explanation: explanation.into(),
            related_petition: None,
            proposed_route: None,
        }
    }
}

/// What registration does with the item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// A new case goes to triage.
    NewCase,
    /// 重复件: linked to the open (or recent) original; no new case.
    LinkedTo(String),
    /// 不再受理: the same petitioner's matter was terminated (Art. 36).
    NotReaccepted(String),
}

impl Disposition {
    pub fn state(&self) -> State {
        match self {
            Disposition::NewCase => State::Registered,
            Disposition::LinkedTo(_) => State::Linked,
            Disposition::NotReaccepted(_) => State::NotReaccepted,
        }
    }
}

/// Rules that are configuration, not law (domain.md marks them [default]).
#[derive(Debug, Clone)]
pub struct Policy {
    /// A closed item still makes a new one a repeat within this many days.
    pub repeat_window_days: i64,
    /// People on one matter from which it is a group petition (集体访).
    pub group_threshold: u32,
    /// Words in the content that suggest a matter for the courts (涉法涉诉).
    pub litigation_keywords: Vec<String>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            repeat_window_days: 180,
            group_threshold: 5,
            litigation_keywords: [
                "法院",
                "判决",
                "裁定",
                "诉讼",
                "起诉",
                "执行案",
                "仲裁",
                "行政复议",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// The item being registered, as screening needs to see it.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Keyed hashes of the petitioners' ID numbers (none for anonymous items).
    pub petitioner_keys: &'a [String],
    pub matter_key: &'a str,
    pub content: &'a str,
    /// The statutory route the content category names, if any.
    pub category_route: Option<&'a str>,
    pub region: &'a RegionCode,
    /// Set for visits: the level of the organ visited.
    pub visited_level: Option<RegionLevel>,
    pub people: u32,
    pub major_urgent: bool,
    pub threat: bool,
    pub petitioned_elsewhere_before: bool,
    pub now: DateTime<Utc>,
}

/// An earlier item of one of the same petitioners, as stored.
#[derive(Debug, Clone)]
pub struct PriorItem {
    pub id: String,
    pub petitioner_key: String,
    pub matter_key: String,
    pub state: State,
    /// The original a repeat item is linked to.
    pub linked_to: Option<String>,
    pub registered_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screening {
    pub disposition: Disposition,
    pub flags: Vec<Flag>,
    pub first_time_here: bool,     // 本机构初次
    pub first_time_anywhere: bool, // 全国初次
}

pub fn screen(candidate: &Candidate<'_>, priors: &[PriorItem], policy: &Policy) -> Screening {
    let mut flags = Vec::new();
    let same_matter: Vec<&PriorItem> = priors
        .iter()
        .filter(|p| {
            p.matter_key == candidate.matter_key
                && candidate.petitioner_keys.contains(&p.petitioner_key)
        })
        .collect();

    let terminated = same_matter
        .iter()
        .filter(|p| matches!(p.state, State::Terminated | State::NotReaccepted))
        .max_by_key(|p| p.registered_at);
    let window = Duration::days(policy.repeat_window_days);
    let repeated = same_matter
        .iter()
        .filter(|p| {
            p.state.is_open()
                || p.state == State::Linked
                || candidate.now - p.registered_at <= window
        })
        .max_by_key(|p| p.registered_at);

    let disposition = if let Some(t) = terminated {
        let original = t.linked_to.clone().unwrap_or_else(|| t.id.clone());
        flags.push(Flag {
            related_petition: Some(original.clone()),
            ..Flag::new(
                FlagKind::TerminatedMatter,
                "同一信访人就同一事实和理由再次信访，该事项已终结，不再受理 (Art. 36)",
            )
        });
        Disposition::NotReaccepted(original)
    } else if let Some(r) = repeated {
        let original = r.linked_to.clone().unwrap_or_else(|| r.id.clone());
        let why = if r.state.is_open() {
            "同一信访人就同一事项再次信访，原件仍在办理中".to_owned()
        } else {
            format!(
                "同一信访人就同一事项在{}日内再次信访",
                policy.repeat_window_days
            )
        };
        flags.push(Flag {
            related_petition: Some(original.clone()),
            ..Flag::new(FlagKind::Repeat, why)
        });
        Disposition::LinkedTo(original)
    } else {
        Disposition::NewCase
    };

    if let Some(route) = candidate.category_route {
        let kind = if route == "litigation" {
            FlagKind::LitigationRelated
        } else {
            FlagKind::StatutoryRoute
        };
        flags.push(Flag {
            proposed_route: Some(route.to_owned()),
            ..Flag::new(
                kind,
                format!("内容分类属法定途径事项 ({route})，建议引导，由工作人员决定"),
            )
        });
    } else if let Some(word) = policy
        .litigation_keywords
        .iter()
        .find(|w| candidate.content.contains(w.as_str()))
    {
        flags.push(Flag {
            proposed_route: Some("litigation".to_owned()),
            ..Flag::new(
                FlagKind::LitigationRelated,
                format!("内容含“{word}”，疑似涉法涉诉，建议诉访分离，由工作人员决定"),
            )
        });
    }

    if let Some(visited) = candidate.visited_level
        && is_bypass(candidate.region, visited)
    {
        flags.push(Flag::new(
            FlagKind::BypassVisit,
            format!(
                "事项属{}级，越过本级和上一级到{}级走访 (逐级走访)",
                level_zh(competent_level(candidate.region)),
                level_zh(visited)
            ),
        ));
    }
    if candidate.people >= policy.group_threshold {
        flags.push(Flag::new(
            FlagKind::GroupPetition,
            format!(
                "{}人就同一事项信访 (≥{}人为集体访)",
                candidate.people, policy.group_threshold
            ),
        ));
    }
    if candidate.major_urgent {
        flags.push(Flag::new(
            FlagKind::MajorUrgent,
            "登记人标注为重大紧急事项，应立即报告上一级",
        ));
    }
    if candidate.threat {
        flags.push(Flag::new(FlagKind::Threat, "登记人标注含扬言内容"));
    }
    if candidate.petitioner_keys.is_empty() {
        flags.push(Flag::new(FlagKind::Anonymous, "匿名信访：登记，不发告知"));
    }

    let first_time_here = same_matter.is_empty();
    Screening {
        disposition,
        flags,
        first_time_here,
        first_time_anywhere: first_time_here && !candidate.petitioned_elsewhere_before,
    }
}

/// The level whose organ is competent for a matter in this region; villages belong to their
/// township.
fn competent_level(region: &RegionCode) -> RegionLevel {
    match region.level() {
        RegionLevel::Village => RegionLevel::Township,
        level => level,
    }
}

/// 逐级走访: the competent organ's level or one level up is fine; higher is a bypass visit.
fn is_bypass(region: &RegionCode, visited: RegionLevel) -> bool {
    let rank = |l: RegionLevel| match l {
        RegionLevel::Province => 0,
        RegionLevel::City => 1,
        RegionLevel::County => 2,
        RegionLevel::Township | RegionLevel::Village => 3,
    };
    rank(competent_level(region)) - rank(visited) > 1
}

fn level_zh(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => "省",
        RegionLevel::City => "市",
        RegionLevel::County => "县",
        RegionLevel::Township | RegionLevel::Village => "乡镇",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> RegionCode {
        RegionCode::parse(code).unwrap()
    }

    fn at(days_ago: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            - Duration::days(days_ago)
    }

    fn candidate<'a>(keys: &'a [String], region: &'a RegionCode) -> Candidate<'a> {
        Candidate {
            petitioner_keys: keys,
            matter_key: "wage-arrears",
            content: "拖欠工资",
            category_route: None,
            region,
            visited_level: None,
            people: 1,
            major_urgent: false,
            threat: false,
            petitioned_elsewhere_before: false,
            now: at(0),
        }
    }

    fn prior(id: &str, state: State, days_ago: i64) -> PriorItem {
        PriorItem {
            id: id.into(),
            petitioner_key: "k1".into(),
            matter_key: "wage-arrears".into(),
            state,
            linked_to: None,
            registered_at: at(days_ago),
        }
    }

    #[test]
    fn a_repeat_links_to_the_open_original() {
        let keys = vec!["k1".to_owned()];
        let r = region("340102");
        let s = screen(
            &candidate(&keys, &r),
            &[prior("p1", State::Accepted, 400)],
            &Policy::default(),
        );
        assert_eq!(s.disposition, Disposition::LinkedTo("p1".into()));
        assert_eq!(s.flags[0].kind, FlagKind::Repeat);
        assert!(!s.first_time_here);
    }

    #[test]
    fn a_closed_item_counts_only_within_the_window() {
        let keys = vec!["k1".to_owned()];
        let r = region("340102");
        let c = candidate(&keys, &r);
        let recent = screen(&c, &[prior("p1", State::Closed, 100)], &Policy::default());
        assert_eq!(recent.disposition, Disposition::LinkedTo("p1".into()));
        let old = screen(&c, &[prior("p1", State::Closed, 200)], &Policy::default());
        assert_eq!(old.disposition, Disposition::NewCase);
        assert!(
            !old.first_time_here,
            "the petitioner has been here on this matter before"
        );
    }

    #[test]
    fn a_terminated_matter_is_not_accepted_again() {
        let keys = vec!["k1".to_owned()];
        let r = region("340102");
        let s = screen(
            &candidate(&keys, &r),
            &[prior("p0", State::Terminated, 900)],
            &Policy::default(),
        );
        assert_eq!(s.disposition, Disposition::NotReaccepted("p0".into()));
        assert_eq!(s.disposition.state(), State::NotReaccepted);
    }

    #[test]
    fn another_petitioner_or_matter_is_a_new_case() {
        let keys = vec!["k2".to_owned()];
        let r = region("340102");
        let s = screen(
            &candidate(&keys, &r),
            &[prior("p1", State::Accepted, 1)],
            &Policy::default(),
        );
        assert_eq!(s.disposition, Disposition::NewCase);
        assert!(s.first_time_here && s.first_time_anywhere);
    }

    #[test]
    fn visiting_two_levels_up_is_a_bypass_visit() {
        let keys = vec!["k1".to_owned()];
        let township = region("340102001");
        let mut c = candidate(&keys, &township);
        c.visited_level = Some(RegionLevel::County);
        assert!(screen(&c, &[], &Policy::default()).flags.is_empty());
        c.visited_level = Some(RegionLevel::City);
        let flags = screen(&c, &[], &Policy::default()).flags;
        assert_eq!(flags[0].kind, FlagKind::BypassVisit);
    }

    #[test]
    fn litigation_words_propose_redirection_and_groups_are_flagged() {
        let keys = vec!["k1".to_owned()];
        let r = region("340102");
        let mut c = candidate(&keys, &r);
        c.content = "不服法院判决";
        c.people = 6;
        let kinds: Vec<_> = screen(&c, &[], &Policy::default())
            .flags
            .iter()
            .map(|f| f.kind)
            .collect();
        assert_eq!(
            kinds,
            vec![FlagKind::LitigationRelated, FlagKind::GroupPetition]
        );
    }
}
