//! The official working-day calendar (工作日).
//!
//! Monday–Friday are working days, except the statutory holidays the State Council
//! announces each year, and some weekend days are working days (调休上班). A year is
//! "loaded" when its arrangement is known; for a year that is not, counting falls back
//! to Monday–Friday and every answer says so ([`Counted::incomplete`]), so that a
//! missing year is never guessed silently.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

use crate::values::InvalidValue;

const NOTICE_MAX_CHARS: usize = 200;

/// The years a date may name anywhere in the platform: wide enough for any record and
/// any plan, narrow enough that a date's arithmetic (the day before, the next month,
/// a week's Monday) never leaves the range chrono can hold, where it would panic.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

/// Whether a date lies in [`YEARS`].
pub fn in_years(d: NaiveDate) -> bool {
    YEARS.contains(&d.year())
}

/// One year's official arrangement: the exceptions to Monday–Friday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct YearArrangement {
    pub year: i32,
    /// Days off: the statutory holiday periods as announced (weekend days within a
    /// period may be listed too; they change nothing).
    pub holidays: Vec<NaiveDate>,
    /// Weekend days that are working days (调休上班).
    pub workdays: Vec<NaiveDate>,
    /// The State Council notice announcing the year (e.g. "国办发明电〔2015〕18号"), and any
    /// that changed it, joined by "、", so that each day can be checked against its
    /// source. Days of late December that the next year's notice arranges are filed here,
    /// under their own year, but that notice is the next year's. Optional: a year imported
    /// without it is as valid as before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

impl YearArrangement {
    /// Checks that every date lies in the year, that no day is both, that the make-up
    /// working days are weekend days (a weekday is a working day anyway), and that the
    /// notice, if any, is one short line.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if !(1949..=2200).contains(&self.year) {
            return Err(InvalidValue(format!("year out of range: {}", self.year)));
        }
        for d in self.holidays.iter().chain(&self.workdays) {
            if d.year() != self.year {
                return Err(InvalidValue(format!("{d} is not in {}", self.year)));
            }
        }
        if let Some(d) = self.workdays.iter().find(|d| self.holidays.contains(d)) {
            return Err(InvalidValue(format!(
                "{d} is listed as both holiday and workday"
            )));
        }
        if let Some(d) = self.workdays.iter().find(|d| !is_weekend(**d)) {
            return Err(InvalidValue(format!(
                "{d} is a weekday; only weekend days can be make-up working days"
            )));
        }
        // The notice is free text from an administrator, meant for a few document
        // numbers; bounded so that an import cannot smuggle in a page of anything.
        if let Some(n) = &self.notice
            && (n.chars().count() > NOTICE_MAX_CHARS || n.chars().any(char::is_control))
        {
            return Err(InvalidValue(format!(
                "notice: at most {NOTICE_MAX_CHARS} characters, no control characters"
            )));
        }
        Ok(())
    }

    fn normalised(mut self) -> Self {
        self.holidays.sort();
        self.holidays.dedup();
        self.workdays.sort();
        self.workdays.dedup();
        self
    }
}

/// A value computed on the calendar, and whether a year without a loaded arrangement
/// was involved (Monday–Friday was assumed there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counted<T> {
    pub value: T,
    pub incomplete: bool,
}

#[derive(Debug, Clone, Default)]
struct YearDays {
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    notice: Option<String>,
}

/// The working-day calendar: the loaded years' arrangements.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    years: BTreeMap<i32, YearDays>,
}

/// The official arrangements 2004–2026, as the State Council notices announce them
/// (first seeded from the `chinese_holiday` crate's data, then checked day by day against
/// each year's notice, which each year names; `tests/official_calendar.rs` pins them). It
/// seeds a new database; the database is the calendar in force.
pub const OFFICIAL_SEED_JSON: &str = include_str!("../data/calendar.json");

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl Calendar {
    pub fn new(arrangements: impl IntoIterator<Item = YearArrangement>) -> Self {
        let mut cal = Self::default();
        for a in arrangements {
            cal.load(a);
        }
        cal
    }

    /// The seed arrangements shipped with the program.
    pub fn official_seed() -> Vec<YearArrangement> {
        serde_json::from_str(OFFICIAL_SEED_JSON).expect("the shipped calendar seed is valid")
    }

    /// Loads (or replaces) one year.
    pub fn load(&mut self, a: YearArrangement) {
        let a = a.normalised();
        self.years.insert(
            a.year,
            YearDays {
                holidays: a.holidays.into_iter().collect(),
                workdays: a.workdays.into_iter().collect(),
                notice: a.notice,
            },
        );
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn loaded_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn arrangement(&self, year: i32) -> Option<YearArrangement> {
        self.years.get(&year).map(|y| YearArrangement {
            year,
            holidays: y.holidays.iter().copied().collect(),
            workdays: y.workdays.iter().copied().collect(),
            notice: y.notice.clone(),
        })
    }

    /// Whether `d` is a working day, and whether that is known (its year is loaded).
    pub fn day(&self, d: NaiveDate) -> Counted<bool> {
        match self.years.get(&d.year()) {
            Some(y) => Counted {
                value: y.workdays.contains(&d) || (!is_weekend(d) && !y.holidays.contains(&d)),
                incomplete: false,
            },
            None => Counted {
                value: !is_weekend(d),
                incomplete: true,
            },
        }
    }

    pub fn is_workday(&self, d: NaiveDate) -> bool {
        self.day(d).value
    }

    /// The N-th working day after `from` (`from` itself is not counted). With N = 0,
    /// `from` itself.
    pub fn add_workdays(&self, from: NaiveDate, n: u32) -> Counted<NaiveDate> {
        self.step_workdays(from, n, 1)
    }

    /// The N-th working day before `from` (`from` itself is not counted).
    pub fn sub_workdays(&self, from: NaiveDate, n: u32) -> Counted<NaiveDate> {
        self.step_workdays(from, n, -1)
    }

    fn step_workdays(&self, from: NaiveDate, n: u32, dir: i64) -> Counted<NaiveDate> {
        let mut d = from;
        let mut left = n;
        let mut incomplete = false;
        while left > 0 {
            d += chrono::Duration::days(dir);
            let day = self.day(d);
            incomplete |= day.incomplete;
            if day.value {
                left -= 1;
            }
        }
        Counted {
            value: d,
            incomplete,
        }
    }

    /// Every working day from `from` to `to`, both included.
    pub fn workdays(&self, from: NaiveDate, to: NaiveDate) -> Counted<Vec<NaiveDate>> {
        let mut out = Vec::new();
        let mut incomplete = false;
        for d in from.iter_days().take_while(|d| *d <= to) {
            let day = self.day(d);
            incomplete |= day.incomplete;
            if day.value {
                out.push(d);
            }
        }
        Counted {
            value: out,
            incomplete,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_seed_covers_2004_to_2026() {
        let cal = Calendar::new(Calendar::official_seed());
        assert_eq!(cal.loaded_years(), (2004..=2026).collect::<Vec<_>>());
        for y in Calendar::official_seed() {
            assert!(y.validate().is_ok(), "{}", y.year);
        }
    }

    #[test]
    fn a_make_up_saturday_is_a_working_day_and_a_holiday_monday_is_not() {
        let cal = Calendar::new(Calendar::official_seed());
        assert!(cal.is_workday(d("2026-02-14")));
        assert!(!cal.is_workday(d("2026-02-23")));
        assert!(!cal.is_workday(d("2026-02-21")));
        assert!(cal.is_workday(d("2026-02-24")));
    }

    #[test]
    fn a_missing_year_is_counted_monday_to_friday_and_flagged() {
        let cal = Calendar::new(Calendar::official_seed());
        let r = cal.add_workdays(d("2026-12-30"), 3);
        assert_eq!(r.value, d("2027-01-04"));
        assert!(r.incomplete);
        assert!(!cal.add_workdays(d("2026-12-01"), 3).incomplete);
    }

    #[test]
    fn arrangements_are_validated() {
        let bad = YearArrangement {
            year: 2027,
            holidays: vec![],
            workdays: vec![d("2027-01-04")],
            notice: None,
        };
        assert!(bad.validate().is_err());
        let other_year = YearArrangement {
            year: 2027,
            holidays: vec![d("2026-01-01")],
            workdays: vec![],
            notice: None,
        };
        assert!(other_year.validate().is_err());
        let ok = YearArrangement {
            year: 2027,
            holidays: vec![d("2027-01-01")],
            workdays: vec![d("2027-01-02")],
            notice: None,
        };
        assert!(ok.validate().is_ok());
        let noted = YearArrangement {
            notice: Some("国办发明电〔2026〕1号".into()),
            ..ok.clone()
        };
        assert!(noted.validate().is_ok());
        let long = YearArrangement {
            notice: Some("号".repeat(201)),
            ..ok.clone()
        };
        assert!(long.validate().is_err());
        let control = YearArrangement {
            notice: Some("国办\n发明电".into()),
            ..ok
        };
        assert!(control.validate().is_err());
    }

    #[test]
    fn a_year_without_a_notice_reads_and_writes_as_before() {
        let old = r#"{"year":2027,"holidays":["2027-01-01"],"workdays":[]}"#;
        let y: YearArrangement = serde_json::from_str(old).unwrap();
        assert_eq!(y.notice, None);
        assert_eq!(serde_json::to_string(&y).unwrap(), old);
    }
}
