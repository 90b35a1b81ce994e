//! Knowledge articles in and out of spreadsheets: `.xlsx` and `.csv` in one documented
//! column layout (the first row names the columns, in Chinese or by field name; order
//! is free, unknown columns are refused).
//!
//! | column | field | notes |
//! |---|---|---|
//! | 标题 | title | required, unique within its category |
//! | 问题 | question | required |
//! | 答复口径 | answer | required |
//! | 分类 | category | required, 1–3 levels separated by `/` |
//! | 资料类型 | material | 办事指南, 法律法规, 热点问答, 日常咨询, 通知公告, 业务指引, 答复口径, 政策解读 (or the English names) |
//! | 发布单位 | issuing_unit | |
//! | 依据文件 · 文号 · 发布日期 · 链接 | source | title, number, date, link |
//! | 适用区划 | region | 6-digit GB/T 2260 code; empty for the whole province |
//! | 关键词 | keywords | separated by `、` `,` `，` or spaces |
//! | 生效日期 · 失效日期 | valid_from, valid_to | `YYYY-MM-DD` (or a spreadsheet date) |
//!
//! Every row is checked before anything is stored; a file with errors stores nothing
//! unless the caller asks to skip the bad rows. Imported articles are drafts.

use axum::http::StatusCode;
use chrono::NaiveDate;
use hotline_domain::RegionCode;
use hotline_domain::kb::{Article, ArticleContent, Material, SourcePolicy};
use serde::Serialize;
use std::collections::HashSet;
use std::ops::ControlFlow;

use crate::AppState;
use crate::access::Viewer;
use crate::audit::{self, ClientAddr};
use crate::error::{ApiError, ApiResult};
use crate::kb::{ArticleInput, prepare_article};
use crate::spreadsheet::{self, ReadError, Row};

/// (field name, column header)
pub const COLUMNS: &[(&str, &str)] = &[
    ("title", "标题"),
    ("question", "问题"),
    ("answer", "答复口径"),
    ("category", "分类"),
    ("material", "资料类型"),
    ("issuing_unit", "发布单位"),
    ("source_title", "依据文件"),
    ("source_number", "文号"),
    ("source_date", "发布日期"),
    ("source_link", "链接"),
    ("region", "适用区划"),
    ("keywords", "关键词"),
    ("valid_from", "生效日期"),
    ("valid_to", "失效日期"),
];

const MATERIALS: &[(Material, &str)] = &[
    (Material::Guide, "办事指南"),
    (Material::Law, "法律法规"),
    (Material::Faq, "热点问答"),
    (Material::Daily, "日常咨询"),
    (Material::Notice, "通知公告"),
    (Material::Instruction, "业务指引"),
    (Material::Script, "答复口径"),
    (Material::Interpretation, "政策解读"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

impl FileFormat {
    /// From a file name's extension or a `format=` value.
    pub fn parse(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        if lower == "csv" || lower.ends_with(".csv") {
            Some(FileFormat::Csv)
        } else if lower == "xlsx" || lower.ends_with(".xlsx") {
            Some(FileFormat::Xlsx)
        } else {
            None
        }
    }
}

/// A problem with one cell (or row) of an import file; `row` counts as the
/// spreadsheet does, the header being row 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub problem: String,
}

fn row_error(row: usize, column: &str, problem: impl Into<String>) -> RowError {
    RowError {
        row,
        column: column.to_owned(),
        problem: problem.into(),
    }
}

/// Where each known column is in the header.
fn header_map(header: &[String]) -> Result<Vec<Option<usize>>, RowError> {
    let mut at = vec![None; COLUMNS.len()];
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if h.is_empty() {
            continue;
        }
        let k = COLUMNS
            .iter()
            .position(|(field, label)| h == *field || h == *label)
            .ok_or_else(|| row_error(1, h, "unknown column"))?;
        at[k] = Some(i);
    }
    for (k, (_, label)) in COLUMNS.iter().enumerate().take(4) {
        if at[k].is_none() {
            return Err(row_error(1, label, "required column missing"));
        }
    }
    Ok(at)
}

fn parse_date(row: usize, column: &str, s: &str) -> Result<Option<NaiveDate>, RowError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map(Some)
        .map_err(|_| row_error(row, column, "must be a date YYYY-MM-DD"))
}

fn material(row: usize, s: &str) -> Result<Option<Material>, RowError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    MATERIALS
        .iter()
        .find(|(m, label)| s == *label || s == m.as_str())
        .map(|(m, _)| Some(*m))
        .ok_or_else(|| row_error(row, "资料类型", "unknown material type"))
}

fn material_label(m: Material) -> &'static str {
    MATERIALS
        .iter()
        .find(|(x, _)| *x == m)
        .map_or("", |(_, l)| l)
}

/// One data row as an article input, or the first problem in it.
fn row_article(
    row: usize,
    cells: &[String],
    at: &[Option<usize>],
) -> Result<ArticleInput, RowError> {
    let cell = |field: &str| -> String {
        let k = COLUMNS
            .iter()
            .position(|(f, _)| *f == field)
            .expect("known field");
        at[k]
            .and_then(|i| cells.get(i))
            .map(|s| {
                spreadsheet::restore(s)
                    .trim()
                    .replace("\r\n", "\n")
                    .replace('\r', "\n")
            })
            .unwrap_or_default()
    };
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let region = opt(cell("region"))
        .map(|r| RegionCode::parse(&r).map_err(|e| row_error(row, "适用区划", e.0)))
        .transpose()?;
    let source = opt(cell("source_title")).map(|title| {
        Ok::<_, RowError>(SourcePolicy {
            title,
            number: opt(cell("source_number")),
            date: parse_date(row, "发布日期", &cell("source_date"))?,
            link: opt(cell("source_link")),
        })
    });
    let content = ArticleContent {
        title: cell("title"),
        question: cell("question"),
        answer: cell("answer"),
        category: cell("category"),
        material: material(row, &cell("material"))?.unwrap_or(Material::Faq),
        issuing_unit: opt(cell("issuing_unit")),
        source: source.transpose()?,
        region,
        keywords: cell("keywords")
            .split(['、', ',', '，', ' ', ';', '；'])
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect(),
        valid_from: parse_date(row, "生效日期", &cell("valid_from"))?,
        valid_to: parse_date(row, "失效日期", &cell("valid_to"))?,
    };
    content.check().map_err(|p| {
        let column = COLUMNS
            .iter()
            .find(|(f, _)| p.field.starts_with(f) || f.replace('_', ".") == p.field)
            .map_or(p.field, |(_, l)| l);
        row_error(row, column, p.problem)
    })?;
    Ok(ArticleInput::from_content(content))
}

/// The rows of an import as they are read: the header first, then each data row
/// checked, so that a file is never held as a whole rectangle of cells.
#[derive(Default)]
struct CheckedRows {
    header: Option<Vec<Option<usize>>>,
    good: Vec<(usize, ArticleInput)>,
    errors: Vec<RowError>,
    seen: HashSet<(String, String)>,
}

impl CheckedRows {
    fn take(&mut self, row: Row) -> ControlFlow<()> {
        let Some(at) = &self.header else {
            match header_map(&row.cells) {
                Ok(at) => self.header = Some(at),
                Err(e) => {
                    self.errors.push(e);
                    return ControlFlow::Break(());
                }
            }
            return ControlFlow::Continue(());
        };
        if row.cells.iter().all(|c| c.trim().is_empty()) {
            return ControlFlow::Continue(());
        }
        match row_article(row.number, &row.cells, at) {
            Ok(a) if !self.seen.insert(a.key()) => self.errors.push(row_error(
                row.number,
                "标题",
                "the same title and category appear earlier in the file",
            )),
            Ok(a) => self.good.push((row.number, a)),
            Err(e) => self.errors.push(e),
        }
        ControlFlow::Continue(())
    }

    fn finish(self) -> CheckedFile {
        if self.header.is_none() && self.errors.is_empty() {
            return (Vec::new(), vec![row_error(1, "", "the file is empty")]);
        }
        (self.good, self.errors)
    }
}

/// 422 for a file larger than an import reads, naming `file` (code `file_too_large`).
fn file_too_large(reason: String) -> ApiError {
    let mut e = ApiError::invalid("file", reason);
    e.code = "file_too_large";
    e
}

/// A file's good rows with their row numbers, and its problems.
pub type CheckedFile = (Vec<(usize, ArticleInput)>, Vec<RowError>);

/// Every row of a file checked. A file larger than an import reads is refused whole
/// ([`crate::spreadsheet`]).
pub fn read_file(bytes: &[u8], format: FileFormat) -> ApiResult<CheckedFile> {
    let mut rows = CheckedRows::default();
    let mut each = |row| rows.take(row);
    let read = match format {
        FileFormat::Csv => spreadsheet::read_csv(bytes, &mut each),
        FileFormat::Xlsx => spreadsheet::read_xlsx(bytes, &mut each),
    };
    match read {
        Ok(()) => Ok(rows.finish()),
        Err(ReadError::Unreadable { row, problem }) => {
            Ok((Vec::new(), vec![row_error(row, "", problem)]))
        }
        Err(ReadError::TooLarge(reason)) => Err(file_too_large(reason)),
    }
}

/// What an import did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub imported: usize,
    pub skipped: usize,
    pub errors: Vec<RowError>,
}

/// Every (category, title) already stored.
async fn existing_keys(state: &AppState) -> ApiResult<HashSet<(String, String)>> {
    Ok(crate::kb::all_articles(state, None)
        .await?
        .into_iter()
        .map(|a| (a.content.category, a.content.title))
        .collect())
}

/// Imports a file as drafts of the viewer's hotline. With errors and without
/// `skip_errors`, nothing is stored and the report lists every problem.
pub async fn import(
    state: &AppState,
    v: &Viewer,
    addr: &ClientAddr,
    file: (&[u8], FileFormat),
    skip_errors: bool,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> ApiResult<ImportReport> {
    // Units submit one article at a time (部门报送); a file is the hotline's own.
    if !v.grants(hotline_domain::Capability::EditKnowledge) {
        return Err(ApiError::forbidden(
            "importing articles is for a hotline's knowledge staff",
        ));
    }
    let (rows, mut errors) = read_file(file.0, file.1)?;
    let existing = existing_keys(state).await?;
    let mut fresh = Vec::new();
    for (row, input) in rows {
        if existing.contains(&input.key()) {
            errors.push(row_error(
                row,
                "标题",
                "an article with this title already exists in this category",
            ));
        } else {
            fresh.push((row, input));
        }
    }
    errors.sort_by_key(|e| e.row);
    if !errors.is_empty() && !skip_errors {
        return Ok(ImportReport {
            imported: 0,
            skipped: 0,
            errors,
        });
    }
    // Permission is checked on the first row before anything is written.
    let total = fresh.len();
    let mut imported = 0;
    for (_, input) in fresh {
        let (article, record) = prepare_article(state, v, addr, input).await?;
        state.store().create_article(article, record).await?;
        imported += 1;
        progress(imported, total);
    }
    let detail = serde_json::json!({"imported": imported, "skipped": errors.len()});
    let record = audit::by(v, addr, state, "kb.import", None, detail);
    state.store().append_audit(record).await?;
    state.kb().sync(state).await?;
    Ok(ImportReport {
        imported,
        skipped: errors.len(),
        errors,
    })
}

fn row_of(a: &Article) -> Vec<String> {
    let c = &a.content;
    let s = c.source.clone().unwrap_or_default();
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        c.title.clone(),
        c.question.clone(),
        c.answer.clone(),
        c.category.clone(),
        material_label(c.material).to_owned(),
        c.issuing_unit.clone().unwrap_or_default(),
        s.title,
        s.number.unwrap_or_default(),
        date(s.date),
        s.link.unwrap_or_default(),
        c.region.as_ref().map(|r| r.to_string()).unwrap_or_default(),
        c.keywords.join("、"),
        date(c.valid_from),
        date(c.valid_to),
    ]
}

/// 422 for an export longer than an import reads (code `too_many_rows`).
fn export_too_long(articles: usize) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "too_many_rows",
        format!(
            "{articles} articles: an export holds at most the {} rows an import reads",
            spreadsheet::MAX_ROWS
        ),
    )
}

/// The articles in the import layout (so an export can be edited and imported again),
/// at most [`spreadsheet::MAX_ROWS`] of them: a longer file could not come back.
pub fn write_file(articles: &[Article], format: FileFormat) -> ApiResult<Vec<u8>> {
    if articles.len() > spreadsheet::MAX_ROWS {
        return Err(export_too_long(articles.len()));
    }
    let header: Vec<String> = COLUMNS.iter().map(|(_, l)| (*l).to_owned()).collect();
    let rows = std::iter::once(header).chain(articles.iter().map(row_of));
    match format {
        FileFormat::Csv => spreadsheet::csv_file(rows),
        FileFormat::Xlsx => spreadsheet::xlsx_file(rows),
    }
    .map_err(ApiError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article() -> Article {
        Article {
            id: 1,
            hotline: hotline_domain::UnitCode::parse("cd12345").unwrap(),
            status: hotline_domain::kb::ArticleStatus::Draft,
            urgent: false,
            pinned: false,
            version: 1,
            content: ArticleContent {
                title: "社保卡补办".into(),
                question: "怎么补？".into(),
                answer: "先挂失。".into(),
                category: "社会保障/社保卡".into(),
                material: Material::Faq,
                issuing_unit: None,
                source: None,
                region: None,
                keywords: Vec::new(),
                valid_from: None,
                valid_to: None,
            },
            created_by: "editor".into(),
            updated_by: "editor".into(),
            updated_at: chrono::DateTime::parse_from_rfc3339("2026-11-02T09:00:00+08:00").unwrap(),
            published_at: None,
            uses: 0,
            helpful: 0,
            not_helpful: 0,
            contribution: None,
        }
    }

    #[test]
    fn an_export_holds_no_more_rows_than_an_import_reads() {
        let articles = vec![article(); spreadsheet::MAX_ROWS + 1];
        for format in [FileFormat::Csv, FileFormat::Xlsx] {
            let e = write_file(&articles, format).unwrap_err();
            assert_eq!((e.status.as_u16(), e.code), (422, "too_many_rows"));
        }
        assert!(write_file(&articles[..2], FileFormat::Csv).is_ok());
    }
}
