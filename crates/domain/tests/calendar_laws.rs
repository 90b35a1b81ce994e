//! Laws of working-day arithmetic, checked on random dates and counts.

use chrono::NaiveDate;
use hotline_domain::rules::workdays_after;
use hotline_domain::{Calendar, DeadlineRules, Kind, shanghai};
use proptest::prelude::*;

fn calendar() -> Calendar {
    Calendar::new(Calendar::official_seed())
}

fn any_date() -> impl Strategy<Value = NaiveDate> {
    (0i64..(23 * 365))
        .prop_map(|d| NaiveDate::from_ymd_opt(2004, 1, 1).unwrap() + chrono::Duration::days(d))
}

proptest! {
    #[test]
    fn n_working_days_forward_then_back_returns_to_the_start(day in any_date(), n in 0u32..60) {
        let cal = calendar();
        prop_assume!(cal.is_workday(day));
        let there = cal.add_workdays(day, n).value;
        prop_assert_eq!(cal.sub_workdays(there, n).value, day);
    }

    #[test]
    fn no_deadline_ever_falls_on_a_non_working_day(
        day in any_date(), hour in 0u32..24, kind in prop::sample::select(Kind::ALL.to_vec()), urgent: bool,
    ) {
        let cal = calendar();
        let start = day.and_hms_opt(hour, 0, 0).unwrap().and_local_timezone(shanghai()).unwrap();
        if let Some(deadline) = DeadlineRules::default().handling_deadline(&cal, kind, urgent, start) {
            let end = deadline.value.date_naive();
            prop_assert!(cal.is_workday(end), "{} falls on {}", start, end);
            prop_assert!(end > day);
        }
    }

    #[test]
    fn counting_the_days_between_gives_back_n(day in any_date(), n in 1u32..40) {
        let cal = calendar();
        let end = cal.add_workdays(day, n).value;
        let counted = cal.workdays(day + chrono::Duration::days(1), end).value.len();
        prop_assert_eq!(counted as u32, n);
        let start = day.and_hms_opt(10, 0, 0).unwrap().and_local_timezone(shanghai()).unwrap();
        prop_assert_eq!(workdays_after(&cal, start, n).value.date_naive(), end);
    }
}
