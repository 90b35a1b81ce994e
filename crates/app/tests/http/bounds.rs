//! No request allocates without bound (issue 13, findings 2 and 10). An import reads at
//! most 10 MiB of body, 100,000 rows and 64 columns, and a workbook is measured before
//! it is unpacked; every date a request names lies in the years 1900–2200, and a report
//! spans at most ten years. Each test replays a request that aborted the server,
//! panicked it or allocated without bound, and then checks that the server still serves.

use crate::common::*;
use axum::http::StatusCode;
use serde_json::json;
use std::io::{Read, Write};

const HEADER: [&str; 4] = ["标题", "问题", "答复口径", "分类"];
const ROW: [&str; 4] = [
    "社保卡补办",
    "社保卡丢了怎么办？",
    "先挂失再补领。",
    "社会保障/社保卡",
];

/// A workbook with the import header, one good row, and the given extra cells.
fn workbook(extra: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, (h, v)) in HEADER.iter().zip(ROW).enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
        sheet.write_string(1, c as u16, v).unwrap();
    }
    for (r, c, v) in extra {
        sheet.write_string(*r, *c, *v).unwrap();
    }
    book.save_to_buffer().unwrap()
}

/// The workbook with one part's XML rewritten (what a hand-made file can say).
fn patched(xlsx: &[u8], part: &str, change: impl Fn(&str) -> String) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().unwrap().into_owned();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == part {
            data = change(std::str::from_utf8(&data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

async fn import(app: &TestApp, format: &str, file: Vec<u8>) -> Response {
    let token = app.token("editor").await;
    app.send_bytes(
        "POST",
        &format!("/api/v1/kb/import?format={format}&skip_errors=true"),
        Some(&token),
        file,
    )
    .await
}

/// The server answers, and its in-flight gauge counts only the request asking.
async fn still_serving(app: &TestApp) {
    use tower::ServiceExt;
    // The metrics address's own requests are not counted: the service's gauge is read
    // there after one request through the service proves it answers.
    let r = app.send("GET", "/healthz", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let req = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = hotline_app::ops::metrics_router(app.state.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = http_body_util::BodyExt::collect(r.into_body())
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains("hotline_http_requests_in_flight 0\n"),
        "no request left counted in flight: {text}"
    );
}

fn refused_file(r: &Response) -> String {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    r.body["error"]["fields"]["file"]
        .as_str()
        .unwrap_or_else(|| panic!("the reason names the file: {}", r.text))
        .to_owned()
}

#[tokio::test]
async fn a_spreadsheet_with_a_cell_at_xfd1048576_is_refused_and_the_server_keeps_serving() {
    let app = TestApp::sqlite().await;
    let file = workbook(&[(1_048_575, 16_383, "x")]);
    assert!(file.len() < 10_000, "a few kilobytes: {}", file.len());
    let r = import(&app, "xlsx", file).await;
    let reason = refused_file(&r);
    assert!(reason.contains("XFD1048576"), "{reason}");
    still_serving(&app).await;
    let listed = app
        .as_user("editor", "GET", "/api/v1/kb/articles", None)
        .await;
    assert!(listed.body["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_sheet_declaring_more_rows_than_an_import_reads_is_refused_before_its_cells_are_read() {
    let app = TestApp::sqlite().await;
    let file = patched(&workbook(&[]), "xl/worksheets/sheet1.xml", |xml| {
        xml.replace(
            r#"<dimension ref="A1:D2"/>"#,
            r#"<dimension ref="A1:XFD1048576"/>"#,
        )
    });
    let reason = refused_file(&import(&app, "xlsx", file).await);
    assert!(reason.contains("A1:XFD1048576"), "{reason}");
    still_serving(&app).await;
}

#[tokio::test]
async fn a_workbook_declaring_billions_of_shared_strings_is_refused_before_calamine_reserves_them()
{
    let app = TestApp::sqlite().await;
    let file = patched(&workbook(&[]), "xl/sharedStrings.xml", |xml| {
        let at = xml.find("uniqueCount=\"").unwrap() + "uniqueCount=\"".len();
        let end = at + xml[at..].find('"').unwrap();
        format!("{}4000000000000{}", &xml[..at], &xml[end..])
    });
    let reason = refused_file(&import(&app, "xlsx", file).await);
    assert!(reason.contains("shared strings"), "{reason}");
    still_serving(&app).await;
}

#[tokio::test]
async fn a_workbook_unpacking_to_more_than_100_mib_is_refused_before_it_is_unpacked() {
    let app = TestApp::sqlite().await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(workbook(&[]))).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        out.raw_copy_file(zip.by_index_raw(i).unwrap()).unwrap();
    }
    out.start_file(
        "xl/media/padding.bin",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    std::io::copy(&mut std::io::repeat(0).take(101 << 20), &mut out).unwrap();
    let file = out.finish().unwrap().into_inner();
    assert!(file.len() < 1 << 20, "compressed: {}", file.len());
    let reason = refused_file(&import(&app, "xlsx", file).await);
    assert!(reason.contains("MiB"), "{reason}");
    still_serving(&app).await;
}

#[tokio::test]
async fn an_import_reads_at_most_100000_rows() {
    let app = TestApp::sqlite().await;
    let mut file = String::from("标题,问题,答复口径,分类\n");
    for i in 0..100_001 {
        file.push_str(&format!("t{i},q,a,c\n"));
    }
    let reason = refused_file(&import(&app, "csv", file.into_bytes()).await);
    assert!(reason.contains("100000 rows"), "{reason}");
    still_serving(&app).await;
}

#[tokio::test]
async fn an_import_reads_at_most_64_columns() {
    let app = TestApp::sqlite().await;
    let mut file = String::from("标题,问题,答复口径,分类\n");
    file.push_str(&"x,".repeat(70));
    file.push('\n');
    let reason = refused_file(&import(&app, "csv", file.into_bytes()).await);
    assert!(reason.contains("64 columns"), "{reason}");
}

#[tokio::test]
async fn an_import_body_over_10_mib_answers_413_even_where_the_server_takes_larger_bodies() {
    let app = TestApp::sqlite_with(|c| c.body_limit = 64 << 20).await;
    let r = import(&app, "csv", vec![b'x'; (10 << 20) + 1]).await;
    let start: String = r.text.chars().take(300).collect();
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{start}");
    assert_eq!(r.body["error"]["code"], "too_large");
    still_serving(&app).await;
}

#[tokio::test]
async fn an_import_larger_than_other_requests_is_still_read() {
    let app = TestApp::sqlite().await;
    let mut file = String::from("标题,问题,答复口径,分类\n");
    let answer = "答".repeat(20_000);
    for i in 0..4 {
        file.push_str(&format!("条目{i},问题{i},{answer},社会保障/社保卡\n"));
    }
    assert!(
        file.len() > 128 << 10,
        "above the test server's 64 KiB body limit"
    );
    let r = import(&app, "csv", file.into_bytes()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["imported"], 4);
}

const LOW: &str = "-262143-01-01";
const HIGH: &str = "%2B262142-12-31";

/// Every request naming a date or a month, with the parameter it names.
fn dated_requests() -> Vec<(
    &'static str,
    &'static str,
    String,
    Option<serde_json::Value>,
    &'static str,
)> {
    let mut out = Vec::new();
    for d in [LOW, HIGH] {
        for (path, field) in [
            (format!("/api/v1/orders?from={d}"), "from"),
            (format!("/api/v1/orders?to={d}"), "to"),
            (format!("/api/v1/orders?due_before={d}"), "due_before"),
            (format!("/api/v1/reports/units?from={d}"), "from"),
            (format!("/api/v1/reports/units?to={d}"), "to"),
            (format!("/api/v1/reports/hotspots?day={d}"), "day"),
            (
                format!("/api/v1/reports/period?period=month&date={d}"),
                "date",
            ),
        ] {
            out.push(("supervisor", "GET", path, None, field));
        }
        for (path, field) in [
            (format!("/api/v1/audit?from={d}"), "from"),
            (format!("/api/v1/audit?to={d}"), "to"),
        ] {
            out.push(("admin", "GET", path, None, field));
        }
    }
    for month in ["-262143-01", "%2B262142-12", "1899-12", "2201-01"] {
        out.push((
            "supervisor",
            "GET",
            format!("/api/v1/reports/seasonal?month={month}"),
            None,
            "month",
        ));
        out.push((
            "supervisor",
            "GET",
            format!("/api/v1/reports/summons?month={month}"),
            None,
            "month",
        ));
    }
    out.push((
        "supervisor",
        "POST",
        "/api/v1/reports/summons/acted".into(),
        Some(json!({"month": "+262142-12", "unit": "cd-jt", "note": "约谈"})),
        "month",
    ));
    for year in ["262143", "-262144", "1899", "2201"] {
        out.push((
            "admin",
            "GET",
            format!("/api/v1/calendar/{year}"),
            None,
            "year",
        ));
    }
    for (field, date) in [("valid_to", "+262142-12-31"), ("valid_from", "1899-12-31")] {
        let mut article = json!({
            "title": "社保卡补办", "question": "怎么补？", "answer": "先挂失。",
            "category": "社会保障/社保卡",
        });
        article[field] = json!(date);
        out.push((
            "editor",
            "POST",
            "/api/v1/kb/articles".into(),
            Some(article),
            field,
        ));
    }
    out
}

#[tokio::test]
async fn a_date_out_of_range_answers_422_naming_its_parameter_on_every_endpoint_taking_dates() {
    let app = TestApp::sqlite().await;
    for (user, method, path, body, field) in dated_requests() {
        let r = app.as_user(user, method, &path, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path}: {}",
            r.text
        );
        assert!(
            r.body["error"]["fields"][field].is_string(),
            "{method} {path} names {field}: {}",
            r.text
        );
    }
    still_serving(&app).await;
}

#[tokio::test]
async fn the_last_dates_in_range_are_answered() {
    let app = TestApp::sqlite().await;
    for path in [
        "/api/v1/orders?from=1900-01-01&to=2200-12-31",
        "/api/v1/reports/period?period=month&date=2200-12-31",
        "/api/v1/reports/period?period=week&date=1900-01-01",
        "/api/v1/reports/hotspots?day=1900-01-01",
        "/api/v1/reports/seasonal?month=2200-12",
        "/api/v1/reports/summons?month=2200-12",
    ] {
        let r = app.as_user("supervisor", "GET", path, None).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
}

#[tokio::test]
async fn a_report_spans_at_most_ten_years() {
    let app = TestApp::sqlite().await;
    let r = app
        .as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/units?from=2015-01-01&to=2025-12-31",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
    assert!(r.body["error"]["fields"]["from"].is_string(), "{}", r.text);
    let r = app
        .as_user(
            "supervisor",
            "GET",
            "/api/v1/reports/units?from=2016-01-01&to=2025-12-31",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "ten years exactly: {}", r.text);
}
