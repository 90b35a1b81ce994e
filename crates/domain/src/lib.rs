//! The rules of a 12345 government service hotline, with no I/O.
//!
//! A tour: [`values`] holds the validated little types every layer passes around
//! (region codes, unit codes, order numbers); [`calendar`] knows which days are
//! working days on the official Chinese calendar; [`rules`] turns a start time and a
//! kind into deadlines and reports how an order stands against them; [`order`] is the
//! work order itself; [`lifecycle`] is the one function that decides whether an
//! action is allowed and what it changes; [`capability`] is the table of what each role
//! may do besides; [`taxonomy`] is the two-level domain tree.
//! Time always comes in as a parameter: nothing here reads the clock.

pub mod assessment;
pub mod audit;
pub mod calendar;
pub mod capability;
pub mod catalogue;
pub mod duplicates;
pub mod hotline_work;
pub mod hotspots;
pub mod kb;
pub mod lifecycle;
pub mod notices;
pub mod order;
pub mod regions;
pub mod rules;
pub mod sampling;
pub mod stats;
pub mod summons;
pub mod taxonomy;
pub mod text;
pub mod values;
pub mod watch;

pub use calendar::{Calendar, YearArrangement};
pub use capability::Capability;
pub use lifecycle::{
    Action, ActionName, Actor, Context, DispatchTarget, Transition, TransitionError,
    absorb_duplicate, apply, available_actions,
};
pub use order::*;
pub use rules::{DeadlineRules, Sla};
pub use values::*;

/// The hotline's clock: every time a person reads is shown in Asia/Shanghai, which has
/// kept UTC+8 without daylight saving since 1991.
pub fn shanghai() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// A point in time as the hotline records it.
pub type Timestamp = chrono::DateTime<chrono::FixedOffset>;
