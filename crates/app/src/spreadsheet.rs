//! Spreadsheets in and out. Every CSV and `.xlsx` file the platform reads or writes
//! passes through here, for two reasons.
//!
//! **Reading is bounded.** A file comes from a user, and a workbook is a zip of XML
//! that says how big it is. calamine believes it: it allocates the rectangle between
//! the first and the last cell reference (one cell at `XFD1048576` asked for 512 GiB
//! and aborted the server) and reserves as many shared strings as the file declares.
//! So before calamine opens a workbook, its unpacked size and its declared shared
//! strings are measured ([`measure_workbook`]); then its cells are streamed, never
//! gathered in a rectangle, and the sheet's declared extent, every cell's position and
//! size, and the text read in all are checked as they come. An import reads at most
//! [`MAX_FILE`] bytes of file, [`MAX_ROWS`] rows under its header, [`MAX_COLUMNS`]
//! columns, [`MAX_CELL_CHARS`] characters a cell (Excel's own limit) and
//! [`MAX_UNPACKED`] bytes of unpacked workbook and of text; beyond them the file is
//! refused whole, before the excess is read.
//!
//! **Writing is inert.** Excel, WPS and LibreOffice take a text cell beginning with
//! `=`, `+`, `-`, `@`, tab or carriage return for a formula when they open a CSV, or
//! when someone edits the cell (`=cmd|' /C calc'!A0`). Every text cell written goes
//! through [`inert`], which puts a `'` in front of such a cell, the usual escape that
//! makes spreadsheets take the cell as text ([`csv_file`] and [`xlsx_file`] apply it
//! to every text cell; a [`Table`]'s figures are written as numbers, which need none).
//! An import runs each cell through [`restore`], which takes that one `'` off again,
//! so an exported file imports back unchanged: a cell that began with `'` before one
//! of those characters gets a second `'` on the way out and keeps its first on the way
//! back in. A hand-made file's `'=x` imports as `=x`, as the spreadsheet shows it.

use calamine::{DataRef, Reader, Xlsx, XlsxError};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::io::{BufReader, Cursor, Read};
use std::ops::ControlFlow;

/// Largest file an import route accepts, whatever the server's body limit.
pub const MAX_FILE: usize = 10 << 20;
/// Data rows an import reads under its header.
pub const MAX_ROWS: usize = 100_000;
/// Columns an import reads (the knowledge layout has 14).
pub const MAX_COLUMNS: usize = 64;
/// Characters a cell holds at most (Excel's limit).
pub const MAX_CELL_CHARS: usize = 32_767;
/// Bytes a workbook may unpack to, and bytes of cell text a file may hold.
pub const MAX_UNPACKED: u64 = 100 << 20;
/// Shared strings a workbook may declare: no more than the cells an import reads.
const MAX_SHARED_STRINGS: u64 = ((MAX_ROWS + 1) * MAX_COLUMNS) as u64;

/// The body limit of a route taking a file: [`MAX_FILE`], above or below the
/// server's limit for other requests (JSON bodies are small, files are not).
pub fn upload_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(MAX_FILE)
}

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// The file is not what it claims to be; `row` is where reading stopped.
    Unreadable { row: usize, problem: String },
    /// The file is larger than an import reads: refused whole.
    TooLarge(String),
}

fn unreadable(row: usize, problem: impl Into<String>) -> ReadError {
    ReadError::Unreadable {
        row,
        problem: problem.into(),
    }
}

/// One row of a file: its number as the spreadsheet counts (the first row is 1), and
/// its cells from column A up to the last one that is not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub number: usize,
    pub cells: Vec<String>,
}

/// What a reader does with each row: `Break` stops reading.
pub type EachRow<'a> = &'a mut dyn FnMut(Row) -> ControlFlow<()>;

/// `A1`-style name of a zero-based (row, column).
fn cell_name(row: u64, column: u64) -> String {
    let mut letters = Vec::new();
    let mut n = column + 1;
    while n > 0 {
        letters.push(b'A' + ((n - 1) % 26) as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

/// The largest rectangle an import reads, for messages.
fn readable_extent() -> String {
    format!(
        "an import reads at most {MAX_ROWS} rows under a header and {MAX_COLUMNS} columns ({}:{})",
        cell_name(0, 0),
        cell_name(MAX_ROWS as u64, MAX_COLUMNS as u64 - 1)
    )
}

fn beyond_extent(row: u64, column: u64) -> bool {
    row > MAX_ROWS as u64 || column >= MAX_COLUMNS as u64
}

/// The text read so far, against [`MAX_UNPACKED`].
#[derive(Default)]
struct TextBudget(u64);

impl TextBudget {
    fn spend(&mut self, text: &str) -> Result<(), ReadError> {
        self.0 += text.len() as u64;
        if self.0 > MAX_UNPACKED {
            return Err(ReadError::TooLarge(format!(
                "the file holds more than {} MiB of text",
                MAX_UNPACKED >> 20
            )));
        }
        Ok(())
    }
}

fn check_cell_size(row: u64, column: u64, text: &str) -> Result<(), ReadError> {
    if text.len() > MAX_CELL_CHARS && text.chars().count() > MAX_CELL_CHARS {
        return Err(ReadError::TooLarge(format!(
            "cell {} holds more than {MAX_CELL_CHARS} characters",
            cell_name(row, column)
        )));
    }
    Ok(())
}

/// The rows of a CSV file (UTF-8, with or without a byte-order mark), header first.
pub fn read_csv(bytes: &[u8], each: EachRow<'_>) -> Result<(), ReadError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| unreadable(1, "the file is not UTF-8 text"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut budget = TextBudget::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| unreadable(i + 1, format!("unreadable CSV: {e}")))?;
        if i > MAX_ROWS {
            return Err(ReadError::TooLarge(format!(
                "more than {MAX_ROWS} rows under the header: {}",
                readable_extent()
            )));
        }
        let width = (0..record.len())
            .rev()
            .find(|&c| !record[c].is_empty())
            .map_or(0, |c| c + 1);
        if width > MAX_COLUMNS {
            return Err(ReadError::TooLarge(format!(
                "row {} reaches column {}: {}",
                i + 1,
                cell_name(i as u64, width as u64 - 1),
                readable_extent()
            )));
        }
        let mut cells = Vec::with_capacity(width);
        for (c, field) in record.iter().take(width).enumerate() {
            check_cell_size(i as u64, c as u64, field)?;
            budget.spend(field)?;
            cells.push(field.to_owned());
        }
        if each(Row {
            number: i + 1,
            cells,
        })
        .is_break()
        {
            break;
        }
    }
    Ok(())
}

/// Refuses a workbook that would unpack to more than [`MAX_UNPACKED`] bytes or that
/// declares more shared strings than an import reads cells (calamine reserves room for
/// every declared one before reading any). The sizes are the archive's own: the zip
/// reader stops with an error at an entry that unpacks to more than it declared.
pub fn measure_workbook(bytes: &[u8]) -> Result<(), ReadError> {
    let not_a_workbook =
        |e: zip::result::ZipError| unreadable(1, format!("not an .xlsx workbook: {e}"));
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    let mut unpacked = 0u64;
    let mut shared_strings = Vec::new();
    for i in 0..zip.len() {
        let entry = zip.by_index_raw(i).map_err(not_a_workbook)?;
        unpacked = unpacked.saturating_add(entry.size());
        // calamine finds its parts by name ignoring case and slash direction.
        let name = entry.name().map_err(not_a_workbook)?;
        if name
            .replace('\\', "/")
            .to_ascii_lowercase()
            .ends_with("sharedstrings.xml")
        {
            shared_strings.push(i);
        }
    }
    if unpacked > MAX_UNPACKED {
        return Err(ReadError::TooLarge(format!(
            "the workbook unpacks to {} MiB: an import reads at most {} MiB",
            unpacked >> 20,
            MAX_UNPACKED >> 20
        )));
    }
    for i in shared_strings {
        let part = zip.by_index(i).map_err(not_a_workbook)?;
        if let Some(n) = declared_shared_strings(part)?
            && n > MAX_SHARED_STRINGS
        {
            return Err(ReadError::TooLarge(format!(
                "the workbook declares {n} shared strings: more than the {MAX_SHARED_STRINGS} cells an import reads"
            )));
        }
    }
    Ok(())
}

/// The `uniqueCount` of a shared-strings part, found as calamine finds it: the first
/// element named `sst`, read with the same XML reader and settings. Every spelling of
/// the attribute in that element is looked at (calamine reads its own way), and any
/// value of digits counts; a value of anything else is one calamine cannot use either.
fn declared_shared_strings(part: impl Read) -> Result<Option<u64>, ReadError> {
    use quick_xml::events::Event;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "sst" => {
                return Ok(largest_count(e.attributes_raw(), "uniqueCount"));
            }
            Ok(Event::Eof) => return Ok(None),
            Err(e) => return Err(unreadable(1, format!("unreadable shared strings: {e}"))),
            Ok(_) => {}
        }
    }
}

/// The largest number given to `key` anywhere in raw attributes (`key="123"`), the
/// digits alone, saturating; `None` when it is never given digits.
fn largest_count(raw: &str, key: &str) -> Option<u64> {
    let mut largest = None;
    for (at, _) in raw.match_indices(key) {
        let rest = raw[at + key.len()..].trim_start();
        let Some(rest) = rest.strip_prefix('=').map(str::trim_start) else {
            continue;
        };
        let Some(quote) = rest.chars().next().filter(|q| *q == '"' || *q == '\'') else {
            continue;
        };
        let value = rest[1..].split(quote).next().unwrap_or("");
        let digits = value.strip_prefix('+').unwrap_or(value);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n = digits.bytes().fold(0u64, |n, b| {
                n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
            });
            largest = largest.max(Some(n));
        }
    }
    largest
}

/// The rows of a workbook's first sheet, header first.
pub fn read_xlsx(bytes: &[u8], each: EachRow<'_>) -> Result<(), ReadError> {
    measure_workbook(bytes)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| unreadable(1, format!("not an .xlsx workbook: {e}")))?;
    let Some(name) = book.sheet_names().first().cloned() else {
        return Err(unreadable(1, "the workbook has no sheet"));
    };
    let mut cells = match book.worksheet_cells_reader(&name) {
        Ok(cells) => cells,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(()),
        Err(e) => return Err(unreadable(1, format!("unreadable sheet: {e}"))),
    };
    let declared = cells.dimensions();
    if beyond_extent(u64::from(declared.end.0), u64::from(declared.end.1)) {
        return Err(ReadError::TooLarge(format!(
            "the sheet declares {}:{}: {}",
            cell_name(declared.start.0.into(), declared.start.1.into()),
            cell_name(declared.end.0.into(), declared.end.1.into()),
            readable_extent()
        )));
    }
    let mut budget = TextBudget::default();
    let mut current: Option<Row> = None;
    loop {
        let cell = cells.next_cell().map_err(|e| {
            let row = current.as_ref().map_or(1, |r| r.number);
            unreadable(row, format!("unreadable sheet: {e}"))
        })?;
        let Some(cell) = cell else { break };
        let (r, c) = cell.get_position();
        let (r, c) = (u64::from(r), u64::from(c));
        if beyond_extent(r, c) {
            return Err(ReadError::TooLarge(format!(
                "the sheet has a cell at {}: {}",
                cell_name(r, c),
                readable_extent()
            )));
        }
        let Some(text) = cell_text(r, c, cell.get_value())? else {
            continue;
        };
        budget.spend(&text)?;
        let number = r as usize + 1;
        if current.as_ref().is_some_and(|row| row.number > number) {
            return Err(unreadable(number, "the sheet's rows are out of order"));
        }
        if current.as_ref().is_some_and(|row| row.number < number)
            && each(current.take().expect("checked")).is_break()
        {
            return Ok(());
        }
        let row = current.get_or_insert_with(|| Row {
            number,
            cells: Vec::new(),
        });
        let c = c as usize;
        if row.cells.len() <= c {
            row.cells.resize(c + 1, String::new());
        }
        row.cells[c] = text;
    }
    if let Some(row) = current {
        let _ = each(row);
    }
    Ok(())
}

/// A cell as text (`None` when empty), its size checked before it is copied: a
/// shared string is stored once and may be referenced by every cell.
fn cell_text(row: u64, column: u64, value: &DataRef<'_>) -> Result<Option<String>, ReadError> {
    let text = match value {
        DataRef::Empty => return Ok(None),
        DataRef::SharedString(s) => {
            check_cell_size(row, column, s)?;
            (*s).to_owned()
        }
        DataRef::String(s) | DataRef::DurationIso(s) => {
            check_cell_size(row, column, s)?;
            s.clone()
        }
        DataRef::DateTimeIso(s) => s.chars().take(10).collect(),
        DataRef::DateTime(dt) => {
            spreadsheet_day(dt.as_f64()).map_or_else(|| dt.as_f64().to_string(), |d| d.to_string())
        }
        other => calamine::Data::from(other.clone()).to_string(),
    };
    Ok(Some(text))
}

/// The day a spreadsheet date serial names, when it names one chrono can hold.
fn spreadsheet_day(serial: f64) -> Option<NaiveDate> {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    epoch.checked_add_days(chrono::Days::new(serial.max(0.0) as u64))
}

/// Whether a spreadsheet would take this text for a formula.
fn reads_as_formula(text: &str) -> bool {
    text.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

/// Text as a spreadsheet cell that no spreadsheet runs: one `'` in front of text that
/// would read as a formula, and of text that already begins with `'`s before such a
/// character (so that [`restore`] can tell the two apart).
pub fn inert(text: &str) -> Cow<'_, str> {
    if reads_as_formula(text.trim_start_matches('\'')) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// An imported cell as it was before [`inert`]: one `'` fewer, where `inert` put one.
pub fn restore(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if reads_as_formula(rest.trim_start_matches('\'')) => rest,
        _ => cell,
    }
}

/// A CSV file for Excel (UTF-8 with a byte-order mark), every cell made inert.
pub fn csv_file<R, C>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, String>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| inert(c.as_ref()).into_owned())
            .collect();
        w.write_record(&cells).map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

/// An `.xlsx` workbook of one sheet, the first row in bold, every cell text made inert.
pub fn xlsx_file<R, C>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, String>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let fail = |e: rust_xlsxwriter::XlsxError| e.to_string();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (r, row) in rows.into_iter().enumerate() {
        let r = u32::try_from(r).map_err(|e| e.to_string())?;
        for (c, cell) in row.into_iter().enumerate() {
            let c = u16::try_from(c).map_err(|e| e.to_string())?;
            let text = inert(cell.as_ref());
            if r == 0 {
                sheet
                    .write_string_with_format(r, c, text, &bold)
                    .map_err(fail)?;
            } else {
                sheet.write_string(r, c, text).map_err(fail)?;
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// One cell of a [`Table`]: figures stay numbers, so a spreadsheet sums and sorts them.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// A share between 0 and 1, shown as a percentage; `None` when there was nothing
    /// to divide (shown as `—`).
    Rate(Option<f64>),
    /// A score or another figure with decimals.
    Figure(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Count(n)
    }
}

impl Cell {
    /// The cell as CSV text: numbers plain, rates as fractions (as a spreadsheet
    /// stores them), text made inert.
    fn csv_text(&self) -> String {
        match self {
            Cell::Text(t) => inert(t).into_owned(),
            Cell::Count(n) => n.to_string(),
            Cell::Rate(Some(r)) | Cell::Figure(r) => format!("{r:.4}")
                .trim_end_matches('0')
                .trim_end_matches('.')
                .to_owned(),
            Cell::Rate(None) => String::new(),
        }
    }
}

/// A titled table for people to read in Excel or WPS: a title and a line saying what
/// it covers above a header row, numbers as numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    /// What the table covers (period, filters, when it was made).
    pub note: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The spreadsheet column width a text needs: CJK characters take two.
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if (c as u32) < 0x2E80 { 1 } else { 2 })
        .sum()
}

impl Table {
    /// The table as CSV: header and rows only (a title line would break a reader).
    pub fn csv(&self) -> Result<Vec<u8>, String> {
        let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        let header: Vec<String> = self.header.iter().map(|h| inert(h).into_owned()).collect();
        w.write_record(&header).map_err(|e| e.to_string())?;
        for row in &self.rows {
            let cells: Vec<String> = row.iter().map(Cell::csv_text).collect();
            w.write_record(&cells).map_err(|e| e.to_string())?;
        }
        w.into_inner().map_err(|e| e.to_string())
    }

    /// The table as a formatted workbook: the title over the columns, the note under
    /// it, a bold shaded header that stays in view and repeats on printed pages, a
    /// filter on the header, columns wide enough for their text, landscape printing
    /// one page wide.
    pub fn xlsx(&self) -> Result<Vec<u8>, String> {
        use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook};
        let fail = |e: rust_xlsxwriter::XlsxError| e.to_string();
        let columns = u16::try_from(self.header.len().max(1)).map_err(|e| e.to_string())?;
        let last = columns - 1;
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        let title = Format::new().set_bold().set_font_size(14);
        let note = Format::new().set_font_color(Color::Gray);
        let head = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xDDEBF7))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center);
        let text = Format::new().set_border(FormatBorder::Thin);
        let count = text.clone().set_num_format("#,##0");
        let rate = text.clone().set_num_format("0.0%");
        let figure = text.clone().set_num_format("0.00");
        for (row, line, format) in [(0, &self.title, &title), (1, &self.note, &note)] {
            if last == 0 {
                sheet.write_string_with_format(row, 0, inert(line), format)
            } else {
                sheet.merge_range(row, 0, row, last, &inert(line), format)
            }
            .map_err(fail)?;
        }
        let mut widths: Vec<usize> = self.header.iter().map(|h| display_width(h)).collect();
        for (c, h) in self.header.iter().enumerate() {
            sheet
                .write_string_with_format(3, c as u16, inert(h), &head)
                .map_err(fail)?;
        }
        for (r, cells) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 4).map_err(|e| e.to_string())?;
            for (c, cell) in cells.iter().enumerate().take(columns as usize) {
                let col = c as u16;
                match cell {
                    Cell::Text(t) => {
                        widths[c] = widths[c].max(display_width(t));
                        sheet.write_string_with_format(r, col, inert(t), &text)
                    }
                    Cell::Count(n) => sheet.write_number_with_format(r, col, *n as f64, &count),
                    Cell::Rate(Some(x)) => sheet.write_number_with_format(r, col, *x, &rate),
                    Cell::Rate(None) => sheet.write_string_with_format(r, col, "—", &text),
                    Cell::Figure(x) => sheet.write_number_with_format(r, col, *x, &figure),
                }
                .map_err(fail)?;
            }
        }
        for (c, w) in widths.iter().enumerate() {
            let w = (*w).clamp(6, 60) as f64 + 2.0;
            sheet.set_column_width(c as u16, w).map_err(fail)?;
        }
        let end = u32::try_from(self.rows.len() + 3).map_err(|e| e.to_string())?;
        sheet.autofilter(3, 0, end, last).map_err(fail)?;
        sheet.set_freeze_panes(4, 0).map_err(fail)?;
        sheet.set_repeat_rows(3, 3).map_err(fail)?;
        sheet.set_landscape().set_print_fit_to_pages(1, 0);
        book.save_to_buffer().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(bytes: &[u8]) -> Result<Vec<Row>, ReadError> {
        let mut out = Vec::new();
        read_xlsx(bytes, &mut |row| {
            out.push(row);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    #[test]
    fn cells_are_named_as_spreadsheets_name_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(1, 25), "Z2");
        assert_eq!(cell_name(2, 26), "AA3");
        assert_eq!(cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(cell_name(100_000, 63), "BL100001");
    }

    #[test]
    fn what_inert_guards_restore_gives_back_exactly() {
        for text in [
            "=cmd|' /C calc'!A0",
            "+1",
            "-2",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "'=1",
            "''-x",
            "'quoted",
            "plain",
            "",
            "a=b",
        ] {
            assert_eq!(restore(&inert(text)), text, "{text:?}");
        }
        assert_eq!(inert("=1+1"), "'=1+1");
        assert_eq!(inert("'=1"), "''=1");
        assert_eq!(inert("'quoted"), "'quoted");
        assert_eq!(restore("'quoted"), "'quoted");
    }

    #[test]
    fn a_date_beyond_any_calendar_reads_as_its_number() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        sheet.write_string(0, 0, "生效日期").unwrap();
        sheet.write_number_with_format(1, 0, 1e300, &date).unwrap();
        sheet
            .write_number_with_format(2, 0, 46_000.0, &date)
            .unwrap();
        let rows = rows_of(&book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(rows[1].cells, vec![1e300.to_string()]);
        assert_eq!(rows[2].cells, vec!["2025-12-09".to_owned()]);
    }

    #[test]
    fn rows_keep_their_spreadsheet_numbers_and_columns() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write_string(2, 1, "标题").unwrap();
        sheet.write_string(4, 3, "x").unwrap();
        let rows = rows_of(&book.save_to_buffer().unwrap()).unwrap();
        assert_eq!(
            rows,
            vec![
                Row {
                    number: 3,
                    cells: vec![String::new(), "标题".into()]
                },
                Row {
                    number: 5,
                    cells: vec![String::new(), String::new(), String::new(), "x".into()]
                },
            ]
        );
    }

    #[test]
    fn a_shared_string_count_is_read_however_the_attribute_is_spelled() {
        assert_eq!(
            largest_count(r#"count="3" uniqueCount="2""#, "uniqueCount"),
            Some(2)
        );
        assert_eq!(largest_count("uniqueCount = '12'", "uniqueCount"), Some(12));
        assert_eq!(
            largest_count(
                r#"uniqueCount="1" uniqueCount="99999999999999999999999""#,
                "uniqueCount"
            ),
            Some(u64::MAX)
        );
        assert_eq!(largest_count(r#"uniqueCount="&#49;""#, "uniqueCount"), None);
        assert_eq!(largest_count("", "uniqueCount"), None);
    }

    #[test]
    fn a_tables_figures_are_numbers_and_its_text_is_inert() {
        let table = Table {
            title: "单位考核".into(),
            note: "2026-03-01 至 2026-03-31".into(),
            header: vec!["单位".into(), "派单数".into(), "按时办结率".into()],
            rows: vec![
                vec![
                    "=cmd|' /C calc'!A0".into(),
                    Cell::Count(12),
                    Cell::Rate(Some(0.75)),
                ],
                vec!["成都市交通运输局".into(), Cell::Count(0), Cell::Rate(None)],
            ],
        };
        let csv = String::from_utf8(table.csv().unwrap()).unwrap();
        assert_eq!(
            csv.trim_start_matches('\u{feff}'),
            "单位,派单数,按时办结率\n'=cmd|' /C calc'!A0,12,0.75\n成都市交通运输局,0,\n"
        );
        let bytes = table.xlsx().unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        use calamine::Data;
        assert_eq!(
            range.get_value((0, 0)),
            Some(&Data::String("单位考核".into()))
        );
        assert_eq!(
            range.get_value((3, 1)),
            Some(&Data::String("派单数".into()))
        );
        assert_eq!(
            range.get_value((4, 0)),
            Some(&Data::String("'=cmd|' /C calc'!A0".into()))
        );
        assert_eq!(range.get_value((4, 1)), Some(&Data::Float(12.0)));
        assert_eq!(range.get_value((4, 2)), Some(&Data::Float(0.75)));
        assert_eq!(range.get_value((5, 2)), Some(&Data::String("—".into())));
    }
}
