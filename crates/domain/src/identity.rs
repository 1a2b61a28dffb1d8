//! Petitioner identity: resident ID numbers (居民身份证号码, GB 11643) and phone numbers, each a
//! type that can only hold a valid value, and the masks used wherever they are shown or logged.

use chrono::NaiveDate;
use std::fmt;

/// An 18-character resident ID number with a correct GB 11643 check digit and a real birth date.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

impl ResidentId {
    pub fn parse(input: &str) -> Result<Self, String> {
        let id = input.trim().to_ascii_uppercase();
        if id.len() != 18 {
            return Err(format!(
                "a resident ID number has 18 characters, got {}",
                id.chars().count()
            ));
        }
        let bytes = id.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err("the first 17 characters of a resident ID number must be digits".into());
        }
        let expected = check_digit(&id[..17]).map_or(b'?', |c| c as u8);
        if bytes[17] != expected {
            return Err(format!(
                "check digit is {}, GB 11643 expects {}",
                bytes[17] as char, expected as char
            ));
        }
        if NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").is_err() {
            return Err("the birth date in the ID number is not a date".into());
        }
        Ok(Self(id))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `340102**********1X` style: region kept, birth date and serial hidden.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[..4], "*".repeat(10), &self.0[14..])
    }
}

// Never print the number itself by accident.
impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

/// The GB 11643 check character of the first 17 digits of a resident ID number.
pub fn check_digit(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    Some(CHECK_CHARS[(sum % 11) as usize] as char)
}

/// A mainland mobile number (11 digits, 1[3-9]...) or a landline with its area code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> Result<Self, String> {
        let digits: String = input
            .trim()
            .trim_start_matches("+86")
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            // Never the number itself: an error may be logged or shown.
            return Err("a phone number has only digits, spaces and dashes".into());
        }
        let mobile = digits.len() == 11 && digits.starts_with('1') && digits.as_bytes()[1] >= b'3';
        let landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
        if mobile || landline {
            Ok(Self(digits))
        } else {
            Err(format!(
                "expected an 11-digit mobile number or a landline with area code, got {} digits",
                digits.len()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`: the first three and last four digits.
    pub fn masked(&self) -> String {
        let n = self.0.len();
        format!("{}{}{}", &self.0[..3], "*".repeat(n - 7), &self.0[n - 4..])
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// `张**`: the family name kept, the given name hidden, as the public tracking page shows it.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// Masks any other identity number (passport, ...): the last four characters kept.
pub fn mask_other_id(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    let keep = chars.len().min(4);
    let hidden = chars.len() - keep;
    "*".repeat(hidden) + &chars[hidden..].iter().collect::<String>()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 11010519491231002X is the standard's own example number.
    const VALID: &str = "11010519491231002X";

    #[test]
    fn accepts_a_number_with_the_right_check_digit() {
        assert_eq!(ResidentId::parse(VALID).unwrap().as_str(), VALID);
        assert_eq!(
            ResidentId::parse("11010519491231002x").unwrap().as_str(),
            VALID
        );
    }

    #[test]
    fn refuses_a_wrong_check_digit_naming_the_expected_one() {
        let err = ResidentId::parse("110105194912310021").unwrap_err();
        assert!(err.contains("expects X"), "{err}");
    }

    #[test]
    fn refuses_impossible_birth_dates_and_short_numbers() {
        // Check digit made valid for a 13th month.
        let bad_month = with_check_digit("11010519491331002");
        assert!(
            ResidentId::parse(&bad_month)
                .unwrap_err()
                .contains("birth date")
        );
        assert!(
            ResidentId::parse("1101051949")
                .unwrap_err()
                .contains("18 characters")
        );
    }

    fn with_check_digit(first17: &str) -> String {
        format!("{first17}{}", check_digit(first17).unwrap())
    }

    #[test]
    fn masks_hide_the_personal_part() {
        let id = ResidentId::parse(VALID).unwrap();
        assert_eq!(id.masked(), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
        let phone = PhoneNumber::parse("138 0013 8000").unwrap();
        assert_eq!(phone.masked(), "138****8000");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_other_id("E12345678"), "*****5678");
    }

    #[test]
    fn phone_numbers_mobile_and_landline() {
        assert!(PhoneNumber::parse("+86 13800138000").is_ok());
        assert!(PhoneNumber::parse("0551-62612345").is_ok());
        assert!(PhoneNumber::parse("12345").is_err());
        assert!(PhoneNumber::parse("1380013800a").is_err());
    }
}
