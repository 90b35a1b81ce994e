//! The calendar checked against the State Council notices themselves, transcribed by
//! hand (国办发明电〔2023〕7号, 〔2024〕12号, 〔2025〕7号), not against the seed data.

use chrono::{Datelike, NaiveDate, Weekday};
use hotline_domain::Calendar;

/// (holiday periods as announced, make-up working days as announced)
struct Notice {
    year: i32,
    holidays: &'static [(&'static str, &'static str)],
    workdays: &'static [&'static str],
}

const NOTICES: &[Notice] = &[
    Notice {
        year: 2024,
        holidays: &[
            ("2024-01-01", "2024-01-01"), // 元旦
            ("2024-02-10", "2024-02-17"), // 春节
            ("2024-04-04", "2024-04-06"), // 清明节
            ("2024-05-01", "2024-05-05"), // 劳动节
            ("2024-06-10", "2024-06-10"), // 端午节
            ("2024-09-15", "2024-09-17"), // 中秋节
            ("2024-10-01", "2024-10-07"), // 国庆节
        ],
        workdays: &[
            "2024-02-04",
            "2024-02-18",
            "2024-04-07",
            "2024-04-28",
            "2024-05-11",
            "2024-09-14",
            "2024-09-29",
            "2024-10-12",
        ],
    },
    Notice {
        year: 2025,
        holidays: &[
            ("2025-01-01", "2025-01-01"),
            ("2025-01-28", "2025-02-04"),
            ("2025-04-04", "2025-04-06"),
            ("2025-05-01", "2025-05-05"),
            ("2025-05-31", "2025-06-02"),
            ("2025-10-01", "2025-10-08"), // 国庆节、中秋节
        ],
        workdays: &[
            "2025-01-26",
            "2025-02-08",
            "2025-04-27",
            "2025-09-28",
            "2025-10-11",
        ],
    },
    Notice {
        year: 2026,
        holidays: &[
            ("2026-01-01", "2026-01-03"),
            ("2026-02-15", "2026-02-23"),
            ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"),
            ("2026-06-19", "2026-06-21"),
            ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07"),
        ],
        workdays: &[
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ],
    },
];

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn notice_says_workday(n: &Notice, d: NaiveDate) -> bool {
    if n.workdays.iter().any(|w| date(w) == d) {
        return true;
    }
    let in_holiday = n.holidays.iter().any(|(a, b)| date(a) <= d && d <= date(b));
    !in_holiday && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[test]
fn every_day_of_2024_to_2026_matches_the_state_council_notices() {
    let cal = Calendar::new(Calendar::official_seed());
    for n in NOTICES {
        let first = NaiveDate::from_ymd_opt(n.year, 1, 1).unwrap();
        for d in first.iter_days().take_while(|d| d.year() == n.year) {
            assert_eq!(cal.is_workday(d), notice_says_workday(n, d), "{d}");
            assert!(!cal.day(d).incomplete);
        }
    }
}
