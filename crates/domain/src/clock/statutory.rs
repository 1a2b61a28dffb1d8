//! 法定节假日: the public holidays the law fixes for every year (全国年节及纪念日放假办法, as
//! revised in 2024), without the State Council's yearly arrangement of bridge days and make-up
//! working days (调休). Used for a year whose arrangement is not loaded yet: a deadline that ends
//! there is provisional (暂定) until the arrangement is.

use chinese_lunisolar_calendar::LunisolarDate;
use chrono::{Days, NaiveDate};

/// The statutory rest days of `year`, or None outside the years the lunar tables cover
/// (1901–2100).
pub fn holidays(year: i32) -> Option<Vec<NaiveDate>> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let lunar = |month: u8, day: u8| {
        let year = u16::try_from(year).ok()?;
        LunisolarDate::from_ymd(year, month, false, day)
            .ok()
            .map(|d| d.to_solar_date().to_naive_date())
    };
    let new_year = lunar(1, 1)?;
    let eve = new_year.checked_sub_days(Days::new(1))?;
    let spring = (0..4).filter_map(|n| eve.checked_add_days(Days::new(n)));
    let mut days = vec![ymd(1, 1)?]; // 元旦
    days.extend(spring); // 春节: 除夕 to 初三
    days.push(ymd(4, qingming_day(year)?)?); // 清明
    days.extend([ymd(5, 1)?, ymd(5, 2)?]); // 劳动节
    days.push(lunar(5, 5)?); // 端午
    days.push(lunar(8, 15)?); // 中秋
    days.extend([ymd(10, 1)?, ymd(10, 2)?, ymd(10, 3)?]); // 国庆
    days.sort();
    Some(days)
}

/// The April day of 清明 (the solar term), by the usual formula for 2000–2099
/// (day = ⌊Y·0.2422 + 4.81⌋ − ⌊Y/4⌋, Y the last two digits).
fn qingming_day(year: i32) -> Option<u32> {
    if !(2000..=2099).contains(&year) {
        return None;
    }
    let y = f64::from(year % 100);
    Some((y * 0.2422 + 4.81).floor() as u32 - (year % 100 / 4) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::d;

    #[test]
    fn the_statutory_days_of_2027_are_those_the_law_gives() {
        let expected = [
            "2027-01-01",
            "2027-02-05",
            "2027-02-06",
            "2027-02-07",
            "2027-02-08",
            "2027-04-05",
            "2027-05-01",
            "2027-05-02",
            "2027-06-09",
            "2027-09-15",
            "2027-10-01",
            "2027-10-02",
            "2027-10-03",
        ]
        .map(d);
        assert_eq!(holidays(2027).unwrap(), expected);
    }

    #[test]
    fn every_year_has_thirteen_statutory_days() {
        for year in 2025..=2060 {
            let days = holidays(year).unwrap();
            assert_eq!(days.len(), 13, "{year}: {days:?}");
        }
    }

    #[test]
    fn qingming_falls_on_the_fourth_or_fifth_of_april() {
        assert_eq!(qingming_day(2025), Some(4));
        assert_eq!(qingming_day(2026), Some(5));
        assert_eq!(qingming_day(2028), Some(4));
        assert!(holidays(2101).is_none());
    }
}
