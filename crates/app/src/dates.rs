//! Dates in requests: the one parser of every day, time, month and year a request
//! names, in the API and the console. A date must lie in
//! [`YEARS`](hotline_domain::calendar::YEARS): beyond it the arithmetic behind a
//! parameter (the day before, the next month, a week's Monday) would leave the range
//! chrono can hold and panic the request, so it answers 422 naming the parameter. A
//! report covers at most [`MAX_REPORT_YEARS`] years.

use chrono::{DateTime, Months, NaiveDate};
use hotline_domain::calendar::{YEARS, in_years};
use hotline_domain::rules::{end_of_day, start_of_day};
use hotline_domain::{Timestamp, shanghai};

use crate::error::{ApiError, ApiResult};

/// The longest range a report covers.
pub const MAX_REPORT_YEARS: u32 = 10;

fn out_of_years(field: &str) -> ApiError {
    ApiError::invalid(
        field,
        format!(
            "must lie between {}-01-01 and {}-12-31",
            YEARS.start(),
            YEARS.end()
        ),
    )
}

fn within_years(field: &str, d: NaiveDate) -> ApiResult<NaiveDate> {
    if in_years(d) {
        Ok(d)
    } else {
        Err(out_of_years(field))
    }
}

/// A `YYYY-MM-DD` day.
pub fn day(field: &str, s: &str) -> ApiResult<NaiveDate> {
    let d = s
        .parse()
        .map_err(|_| ApiError::invalid(field, "must be YYYY-MM-DD"))?;
    within_years(field, d)
}

/// A day (`YYYY-MM-DD`, taken as that whole day in Shanghai: from its first second,
/// or with `end` to its last) or an RFC 3339 time.
pub fn time(field: &str, s: &str, end: bool) -> ApiResult<Timestamp> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        within_years(field, t.with_timezone(&shanghai()).date_naive())?;
        return Ok(t);
    }
    let d = s
        .parse()
        .map_err(|_| ApiError::invalid(field, "must be YYYY-MM-DD or an RFC 3339 time"))?;
    let d = within_years(field, d)?;
    Ok(if end { end_of_day(d) } else { start_of_day(d) })
}

/// The first day of a `YYYY-MM` month.
pub fn month(field: &str, s: &str) -> ApiResult<NaiveDate> {
    let d = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
        .map_err(|_| ApiError::invalid(field, "must be YYYY-MM"))?;
    within_years(field, d)
}

/// A year, as a number.
pub fn year(field: &str, y: i32) -> ApiResult<i32> {
    if YEARS.contains(&y) {
        Ok(y)
    } else {
        Err(out_of_years(field))
    }
}

/// A report's range: `from` not after `to`, and the days between them (Shanghai)
/// within [`MAX_REPORT_YEARS`] years.
pub fn report_range(from: Timestamp, to: Timestamp) -> ApiResult<()> {
    if from > to {
        return Err(ApiError::invalid("from", "must not be after to"));
    }
    let (first, last) = (
        from.with_timezone(&shanghai()).date_naive(),
        to.with_timezone(&shanghai()).date_naive(),
    );
    let beyond = first
        .checked_add_months(Months::new(12 * MAX_REPORT_YEARS))
        .is_none_or(|limit| last >= limit);
    if beyond {
        return Err(ApiError::invalid(
            "from",
            format!(
                "a report covers at most {MAX_REPORT_YEARS} years: {first} to {last} is longer"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        time("t", s, false).unwrap()
    }

    #[test]
    fn ten_years_to_the_day_before_are_a_report_and_one_more_day_is_not() {
        assert!(report_range(t("2016-01-01"), time("to", "2025-12-31", true).unwrap()).is_ok());
        let e = report_range(t("2016-01-01"), t("2026-01-01")).unwrap_err();
        assert_eq!(e.fields.unwrap().keys().collect::<Vec<_>>(), ["from"]);
    }

    #[test]
    fn the_extreme_days_chrono_holds_are_refused_naming_their_parameter() {
        for s in ["-262143-01-01", "+262142-12-31", "1899-12-31", "2201-01-01"] {
            let e = time("from", s, false).unwrap_err();
            assert!(e.fields.unwrap().contains_key("from"), "{s}");
        }
        assert!(month("month", "+262142-12").is_err());
        assert!(time("to", "9999-12-31T23:59:59+08:00", true).is_err());
        assert_eq!(day("day", "2200-12-31").unwrap().to_string(), "2200-12-31");
    }
}
