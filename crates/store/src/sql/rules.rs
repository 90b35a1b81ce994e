//! The rules administrators change while the hotline runs: the calendar, the deadline
//! rules, JSON settings and the domain taxonomy.

/// Columns as [`crate::records::year`] reads them.
pub(crate) const CALENDAR: &str =
    "SELECT year, holidays, workdays FROM calendar_years ORDER BY year";
pub(crate) const PUT_YEAR: &str = "INSERT INTO calendar_years (year, holidays, workdays) \
     VALUES (?, ?, ?) ON CONFLICT (year) DO UPDATE SET holidays = excluded.holidays, \
     workdays = excluded.workdays";
pub(crate) const DEADLINE_RULES: &str = "SELECT value FROM settings WHERE key = 'deadline_rules'";
pub(crate) const PUT_DEADLINE_RULES: &str = "INSERT INTO settings (key, value) \
     VALUES ('deadline_rules', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
pub(crate) const SETTING: &str = "SELECT value FROM settings WHERE key = ?";
pub(crate) const PUT_SETTING: &str = "INSERT INTO settings (key, value) VALUES (?, ?) \
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";
pub(crate) const DELETE_SETTING: &str = "DELETE FROM settings WHERE key = ?";
/// Columns as [`crate::records::category`] reads them.
pub(crate) const TAXONOMY: &str =
    "SELECT path, top_name, name FROM domain_categories ORDER BY path";
pub(crate) const PUT_CATEGORY: &str = "INSERT INTO domain_categories (path, top_name, name) \
     VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET top_name = excluded.top_name, \
     name = excluded.name";
