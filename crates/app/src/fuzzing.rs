//! The import parsers' fuzz bodies: plain functions that take arbitrary bytes and must
//! neither panic nor hang. The `cargo fuzz` targets in `fuzz/` call them (nightly), and
//! `tests/fuzz_seeds.rs` replays a seed corpus through them on stable, so they stay
//! exercised in every test run.

use std::ops::ControlFlow;

use crate::kb::io::{FileFormat, read_file};
use crate::spreadsheet::{measure_workbook, read_csv, read_xlsx};

/// A workbook (`.xlsx`): measured, read row by row, and read as a knowledge import.
pub fn xlsx(data: &[u8]) {
    let _ = measure_workbook(data);
    let _ = read_xlsx(data, &mut |_| ControlFlow::Continue(()));
    let _ = read_file(data, FileFormat::Xlsx);
}

/// A CSV file: read row by row, and read as a knowledge import.
pub fn csv(data: &[u8]) {
    let _ = read_csv(data, &mut |_| ControlFlow::Continue(()));
    let _ = read_file(data, FileFormat::Csv);
}

/// A calendar year as `hotline calendar import` and `PUT /api/v1/calendar/{year}` read
/// it: parsed, then validated.
pub fn calendar_json(data: &[u8]) {
    if let Ok(year) = serde_json::from_slice::<hotline_domain::YearArrangement>(data) {
        let _ = year.validate();
    }
}
