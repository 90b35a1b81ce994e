//! Deadline rules (限时办理) and how an order stands against its deadline.
//!
//! Every number is a default an administrator can change: the rules live in the
//! database as one [`DeadlineRules`] value. A deadline is the end (23:59:59,
//! Asia/Shanghai) of the N-th working day after the day the clock starts; that day
//! itself is not counted, as for legal time limits in Chinese administrative law.

use chrono::{Duration, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, Counted};
use crate::order::Kind;
use crate::{Timestamp, shanghai};

/// When the handling clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockStart {
    Registration,
    Dispatch,
}

/// Working-day limits per request kind; `None` means no handling deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct KindLimits {
    pub consultation: Option<u32>,
    pub help: Option<u32>,
    pub complaint: Option<u32>,
    pub report: Option<u32>,
    pub suggestion: Option<u32>,
    pub praise: Option<u32>,
}

impl KindLimits {
    pub fn for_kind(&self, kind: Kind) -> Option<u32> {
        match kind {
            Kind::Consultation => self.consultation,
            Kind::Help => self.help,
            Kind::Complaint => self.complaint,
            Kind::Report => self.report,
            Kind::Suggestion => self.suggestion,
            Kind::Praise => self.praise,
        }
    }
}

/// The deadline rules in force (`docs/policy.md` §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct DeadlineRules {
    pub limits: KindLimits,
    pub clock_start: ClockStart,
    /// Working days after dispatch to accept (签收).
    pub accept_days: u32,
    /// Working days after dispatch in which the unit may return the order (退单).
    pub return_window_days: u32,
    /// Urgent orders: hours after dispatch to accept.
    pub urgent_accept_hours: u32,
    /// Urgent orders: working days to handle.
    pub urgent_limit_days: u32,
    /// Extensions per order.
    pub max_extensions: u32,
    /// Working days one extension may add; `None` means the kind's own limit.
    pub extension_max_days: Option<u32>,
    /// An order is `due_soon` when its deadline falls within this many working days.
    pub due_soon_days: u32,
    /// Callback attempts before an unreachable requester's order may be closed.
    pub callback_attempts: u32,
    /// When the deadline watch reminds the lead unit (催办): working days left before
    /// the deadline (1: when the last working day begins; 0: at the deadline).
    pub reminder_points: Vec<u32>,
    /// Working days after the deadline before an overdue order goes to supervision.
    pub supervise_after_days: u32,
    /// Working days the hotline has to decide a return or an extension request.
    pub review_days: u32,
    /// Working days after a reply by which the requester is called back.
    pub callback_days: u32,
    /// Whether `close` from `replied` waits for a callback (409 `callback_required`).
    pub callback_before_close: CallbackBeforeClose,
}

/// Closing a replied order before anyone called the requester back: refused unless
/// a callback was tried (reached or not), the deadline watch flagged the order
/// closable after the unreachable attempts, or an exception below applies. The
/// exceptions are the administrators' to change (`PUT /api/v1/rules/deadlines`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CallbackBeforeClose {
    /// Off: a replied order may be closed at once (the rule before 2025).
    pub required: bool,
    /// An anonymous requester who left no phone cannot be called back: closable.
    pub anonymous_without_phone_exempt: bool,
}

impl Default for CallbackBeforeClose {
    fn default() -> Self {
        CallbackBeforeClose {
            required: true,
            anonymous_without_phone_exempt: true,
        }
    }
}

impl Default for DeadlineRules {
    fn default() -> Self {
        Self {
            limits: KindLimits {
                consultation: Some(3),
                help: Some(7),
                complaint: Some(15),
                report: Some(15),
                suggestion: Some(7),
                praise: None,
            },
            clock_start: ClockStart::Registration,
            accept_days: 1,
            return_window_days: 1,
            urgent_accept_hours: 2,
            urgent_limit_days: 1,
            max_extensions: 2,
            extension_max_days: None,
            due_soon_days: 1,
            callback_attempts: 3,
            reminder_points: vec![1, 0],
            supervise_after_days: 1,
            review_days: 1,
            callback_days: 1,
            callback_before_close: CallbackBeforeClose::default(),
        }
    }
}

impl DeadlineRules {
    /// The handling limit in working days for an order of this kind.
    pub fn limit(&self, kind: Kind, urgent: bool) -> Option<u32> {
        if urgent {
            return Some(self.urgent_limit_days);
        }
        self.limits.for_kind(kind)
    }

    /// Whether the rules are ones a hotline can run on; the first field out of range
    /// and why. Limits beyond 60 working days or a zero-day window would make every
    /// deadline meaningless, so they are refused rather than stored.
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let limits = [
            ("limits.consultation", self.limits.consultation),
            ("limits.help", self.limits.help),
            ("limits.complaint", self.limits.complaint),
            ("limits.report", self.limits.report),
            ("limits.suggestion", self.limits.suggestion),
            ("limits.praise", self.limits.praise),
            ("extension_max_days", self.extension_max_days),
        ];
        for (field, days) in limits {
            if days.is_some_and(|d| !(1..=60).contains(&d)) {
                return Err((field, "must be 1–60 working days, or null for none"));
            }
        }
        let bounded = [
            ("accept_days", self.accept_days, 1, 10),
            ("return_window_days", self.return_window_days, 1, 10),
            ("urgent_accept_hours", self.urgent_accept_hours, 1, 72),
            ("urgent_limit_days", self.urgent_limit_days, 1, 15),
            ("max_extensions", self.max_extensions, 0, 5),
            ("due_soon_days", self.due_soon_days, 0, 10),
            ("callback_attempts", self.callback_attempts, 1, 10),
            ("supervise_after_days", self.supervise_after_days, 0, 10),
            ("review_days", self.review_days, 1, 10),
            ("callback_days", self.callback_days, 1, 10),
        ];
        for (field, value, low, high) in bounded {
            if !(low..=high).contains(&value) {
                return Err((field, "out of range"));
            }
        }
        if self.reminder_points.len() > 5 || self.reminder_points.iter().any(|p| *p > 10) {
            return Err(("reminder_points", "at most 5 points of 0–10 working days"));
        }
        Ok(())
    }

    /// The most working days one extension may add for this kind.
    pub fn extension_cap(&self, kind: Kind) -> u32 {
        self.extension_max_days
            .or_else(|| self.limits.for_kind(kind))
            .unwrap_or(0)
    }

    /// The handling deadline of an order whose clock starts at `start`.
    pub fn handling_deadline(
        &self,
        cal: &Calendar,
        kind: Kind,
        urgent: bool,
        start: Timestamp,
    ) -> Option<Counted<Timestamp>> {
        self.limit(kind, urgent)
            .map(|days| workdays_after(cal, start, days))
    }

    /// The accept deadline after a dispatch at `at`.
    pub fn accept_deadline(
        &self,
        cal: &Calendar,
        urgent: bool,
        at: Timestamp,
    ) -> Counted<Timestamp> {
        if urgent {
            let value = at + Duration::hours(i64::from(self.urgent_accept_hours));
            return Counted {
                value,
                incomplete: false,
            };
        }
        workdays_after(cal, at, self.accept_days)
    }

    /// The end of the return window after a dispatch at `at`.
    pub fn return_deadline(&self, cal: &Calendar, at: Timestamp) -> Counted<Timestamp> {
        workdays_after(cal, at, self.return_window_days)
    }

    /// How a deadline stands at `now`.
    pub fn sla(&self, cal: &Calendar, deadline: Timestamp, now: Timestamp) -> Sla {
        if now > deadline {
            return Sla::Overdue;
        }
        let today = now.with_timezone(&shanghai()).date_naive();
        let soon = end_of_day(cal.add_workdays(today, self.due_soon_days).value);
        if deadline <= soon {
            Sla::DueSoon
        } else {
            Sla::OnTrack
        }
    }
}

/// How an order stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sla {
    OnTrack,
    DueSoon,
    Overdue,
}

impl Sla {
    pub fn as_str(self) -> &'static str {
        match self {
            Sla::OnTrack => "on_track",
            Sla::DueSoon => "due_soon",
            Sla::Overdue => "overdue",
        }
    }
}

/// The end of a day in Asia/Shanghai: 23:59:59+08:00.
pub fn end_of_day(d: NaiveDate) -> Timestamp {
    let t = d.and_time(NaiveTime::from_hms_opt(23, 59, 59).expect("valid time"));
    shanghai()
        .from_local_datetime(&t)
        .single()
        .expect("a fixed offset has no gaps")
}

/// The start of a day in Asia/Shanghai: 00:00:00+08:00.
pub fn start_of_day(d: NaiveDate) -> Timestamp {
    end_of_day(d.pred_opt().unwrap_or(d)) + chrono::Duration::seconds(1)
}

/// The end of the N-th working day after the (Shanghai) day of `start`.
pub fn workdays_after(cal: &Calendar, start: Timestamp, days: u32) -> Counted<Timestamp> {
    let day = start.with_timezone(&shanghai()).date_naive();
    let c = cal.add_workdays(day, days);
    Counted {
        value: end_of_day(c.value),
        incomplete: c.incomplete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::new(Calendar::official_seed())
    }

    #[test]
    fn the_worked_example_of_the_policy_ends_on_25_february_2026() {
        let rules = DeadlineRules::default();
        let d = rules
            .handling_deadline(
                &cal(),
                Kind::Consultation,
                false,
                at("2026-02-13T10:00:00+08:00"),
            )
            .unwrap();
        assert_eq!(d.value, at("2026-02-25T23:59:59+08:00"));
        assert!(!d.incomplete);
    }

    #[test]
    fn the_start_day_is_taken_in_shanghai_time() {
        let rules = DeadlineRules::default();
        // 17:00 UTC on Thursday is 01:00 Friday in Shanghai.
        let d = rules
            .handling_deadline(
                &cal(),
                Kind::Consultation,
                false,
                at("2026-02-12T17:00:00Z"),
            )
            .unwrap();
        assert_eq!(d.value, at("2026-02-25T23:59:59+08:00"));
    }

    #[test]
    fn urgent_orders_get_one_working_day_and_two_hours_to_accept() {
        let rules = DeadlineRules::default();
        let start = at("2026-11-27T10:00:00+08:00"); // a Friday
        let d = rules
            .handling_deadline(&cal(), Kind::Complaint, true, start)
            .unwrap();
        assert_eq!(d.value, at("2026-11-30T23:59:59+08:00"));
        let a = rules.accept_deadline(&cal(), true, start);
        assert_eq!(a.value, at("2026-11-27T12:00:00+08:00"));
    }

    #[test]
    fn praise_has_no_handling_deadline() {
        let rules = DeadlineRules::default();
        assert!(
            rules
                .handling_deadline(&cal(), Kind::Praise, false, at("2026-11-27T10:00:00+08:00"))
                .is_none()
        );
    }

    #[test]
    fn sla_is_due_soon_within_one_working_day_and_overdue_after() {
        let rules = DeadlineRules::default();
        let c = cal();
        let deadline = at("2026-11-30T23:59:59+08:00"); // Monday
        // Friday: the next working day is Monday, so the deadline is within one.
        assert_eq!(
            rules.sla(&c, deadline, at("2026-11-27T09:00:00+08:00")),
            Sla::DueSoon
        );
        assert_eq!(
            rules.sla(&c, deadline, at("2026-11-26T09:00:00+08:00")),
            Sla::OnTrack
        );
        assert_eq!(
            rules.sla(&c, deadline, at("2026-12-01T00:00:00+08:00")),
            Sla::Overdue
        );
    }
}
