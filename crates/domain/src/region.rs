//! Administrative region codes (行政区划代码): GB/T 2260 six digits for province, city and county;
//! nine digits for a township (乡镇街道), twelve for a village (村居).

use std::fmt;

/// The level of a region, from its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegionLevel {
    Province, // 省
    City,     // 市
    County,   // 县区
    Township, // 乡镇街道
    Village,  // 村居
}

impl RegionLevel {
    /// How many leading digits identify a region of this level.
    fn significant_digits(self) -> usize {
        match self {
            RegionLevel::Province => 2,
            RegionLevel::City => 4,
            RegionLevel::County => 6,
            RegionLevel::Township => 9,
            RegionLevel::Village => 12,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
            RegionLevel::Township => "township",
            RegionLevel::Village => "village",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [
            RegionLevel::Province,
            RegionLevel::City,
            RegionLevel::County,
            RegionLevel::Township,
            RegionLevel::Village,
        ]
        .into_iter()
        .find(|level| level.name() == name)
    }
}

/// A syntactically valid region code. Whether it exists in this node is the organisation tree's
/// question, not this type's.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(code: &str) -> Result<Self, String> {
        let code = code.trim();
        if !matches!(code.len(), 6 | 9 | 12) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "region code must be 6 (GB/T 2260), 9 (township) or 12 (village) digits, got {code:?}"
            ));
        }
        let province: u32 = code[..2].parse().unwrap_or(0);
        if !(11..=82).contains(&province) {
            return Err(format!(
                "region code {code} has no such province prefix {:02}",
                province
            ));
        }
        Ok(Self(code.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        match self.0.len() {
            12 => RegionLevel::Village,
            9 => RegionLevel::Township,
            _ if &self.0[2..6] == "0000" => RegionLevel::Province,
            _ if &self.0[4..6] == "00" => RegionLevel::City,
            _ => RegionLevel::County,
        }
    }

    /// The prefix that every region inside this one starts with (`3401` for 340100).
    pub fn scope_prefix(&self) -> &str {
        &self.0[..self.level().significant_digits()]
    }

    /// Whether `other` is this region or lies inside it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.scope_prefix())
            && other.level().significant_digits() >= self.level().significant_digits()
    }

    /// The six-digit county-level code a township or village belongs to (itself otherwise).
    pub fn county(&self) -> RegionCode {
        RegionCode(self.0[..6].to_owned())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    #[test]
    fn levels_follow_the_code_shape() {
        assert_eq!(code("340000").level(), RegionLevel::Province);
        assert_eq!(code("340100").level(), RegionLevel::City);
        assert_eq!(code("340102").level(), RegionLevel::County);
        assert_eq!(code("340102001").level(), RegionLevel::Township);
        assert_eq!(code("340102001002").level(), RegionLevel::Village);
    }

    #[test]
    fn a_city_contains_its_counties_and_townships_but_not_its_neighbours() {
        assert!(code("340100").contains(&code("340102")));
        assert!(code("340100").contains(&code("340102001")));
        assert!(code("340102").contains(&code("340102001")));
        assert!(!code("340102").contains(&code("340103001")));
        assert!(!code("340102001").contains(&code("340102002")));
        assert!(!code("340102001").contains(&code("340102")));
        assert!(!code("340100").contains(&code("340200")));
    }

    #[test]
    fn malformed_codes_are_refused_with_the_reason() {
        assert!(
            RegionCode::parse("3401")
                .unwrap_err()
                .contains("6 (GB/T 2260)")
        );
        assert!(RegionCode::parse("34010a").is_err());
        assert!(
            RegionCode::parse("990100")
                .unwrap_err()
                .contains("province")
        );
    }
}
