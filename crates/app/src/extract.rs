//! Extractors that answer in the API's error format.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// JSON body: invalid UTF-8 or syntax answers 400, a wrong type, a missing field or
/// an unknown enum value 422 naming the field, an oversized body 413.
pub struct ApiJson<T>(pub T);

/// The raw body, for handlers that also hash it (idempotency).
pub struct RawJson<T> {
    pub value: T,
    pub bytes: Bytes,
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::bad_request("the request body is not valid UTF-8"));
    }
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        bytes
    };
    if may_hold_control_character(bytes) {
        return parse_checked_json(bytes);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(json_error)
}

/// The slow path, for bodies that may carry a control character: every string is
/// checked (422 `control_character` naming the field) and its line breaks made LF
/// before the value is read.
fn parse_checked_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
    hotline_domain::text::normalise_json(&mut value)
        .map_err(|field| ApiError::control_character(&field))?;
    serde_path_to_error::deserialize(value).map_err(json_error)
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    use serde_json::error::Category;
    match inner.classify() {
        Category::Data => {
            let field = if path == "." {
                missing_field(&inner.to_string())
            } else {
                path
            };
            ApiError::invalid(&field, strip_position(&inner.to_string()))
        }
        _ => ApiError::bad_request(format!("malformed JSON: {inner}")),
    }
}

/// Whether a JSON text may hold a control character: JSON forbids them raw in
/// strings (but not DEL), so they come as escapes — `\r`, `\b`, `\f` or a `\u`
/// escape below U+0020 or of U+007F. Tab and LF need no look. Most bodies have none,
/// and skip the slower checked path.
fn may_hold_control_character(bytes: &[u8]) -> bool {
    if bytes.contains(&0x7f) {
        return true;
    }
    let mut i = 0;
    while let Some(at) = bytes[i..].iter().position(|b| *b == b'\\') {
        let at = i + at;
        match bytes.get(at + 1) {
            Some(b'r' | b'b' | b'f') => return true,
            Some(b'u') => {
                let hex = bytes
                    .get(at + 2..at + 6)
                    .and_then(|h| std::str::from_utf8(h).ok());
                if hex
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .is_some_and(|c| (c < 0x20 && c != 0x0a && c != 0x09) || c == 0x7f)
                {
                    return true;
                }
            }
            _ => {}
        }
        // An escaped backslash is skipped whole, so `\\u0000` is text, not NUL.
        i = at + 2;
    }
    false
}

fn missing_field(msg: &str) -> String {
    msg.split('`').nth(1).unwrap_or("body").to_owned()
}

fn strip_position(msg: &str) -> String {
    msg.split(" at line ").next().unwrap_or(msg).to_owned()
}

async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large()
        } else {
            ApiError::bad_request(rejection.body_text())
        }
    })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        Ok(ApiJson(parse_json(&bytes)?))
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for RawJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = body_bytes(req, state).await?;
        Ok(RawJson {
            value: parse_json(&bytes)?,
            bytes,
        })
    }
}

/// A raw body (an uploaded file); an oversized one answers 413 in the API's format.
pub struct ApiBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiBody {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        Ok(ApiBody(body_bytes(req, state).await?))
    }
}

/// Query string, with errors in the API's format.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded_de(q);
        de.map(ApiQuery)
    }
}

fn serde_urlencoded_de<T: DeserializeOwned>(q: &str) -> Result<T, ApiError> {
    axum::extract::Query::<T>::try_from_uri(
        &format!("/?{q}")
            .parse()
            .map_err(|_| ApiError::bad_request("bad query string"))?,
    )
    .map(|axum::extract::Query(v)| v)
    .map_err(|e| {
        let text = e.body_text();
        let msg = text.trim_start_matches("Failed to deserialize query string: ");
        match msg.split_once(": ") {
            Some((field, problem)) if !field.contains(' ') => ApiError::invalid(field, problem),
            _ => ApiError::invalid(msg.split('`').nth(1).unwrap_or("query"), msg),
        }
    })
}

/// Middleware for the inputs that do not pass [`parse_json`]: every query string, and
/// every form body (console and portal). A refused control character answers 422
/// `control_character` naming the parameter; a form's CRLF and CR become LF (browsers
/// send a textarea's line breaks as CRLF).
pub async fn check_text_inputs(
    req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if let Err(field) = check_urlencoded(req.uri().query().unwrap_or("")) {
        return ApiError::control_character(&field).into_response();
    }
    let is_form = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match body_bytes(Request::from_parts(parts.clone(), body), &()).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    match normalised_form(&bytes) {
        Ok(body) => {
            next.run(Request::from_parts(parts, axum::body::Body::from(body)))
                .await
        }
        Err(field) => ApiError::control_character(&field).into_response(),
    }
}

fn decoded_pairs(text: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(text).unwrap_or_default()
}

/// The name of the first parameter whose name or value holds a refused character.
fn check_urlencoded(text: &str) -> Result<(), String> {
    if !text.contains('%') && !text.bytes().any(|b| b.is_ascii_control() || b == 0x7f) {
        return Ok(());
    }
    for (k, v) in decoded_pairs(text) {
        if hotline_domain::text::normalise(&k).is_err()
            || hotline_domain::text::normalise(&v).is_err()
        {
            return Err(printable(&k));
        }
    }
    Ok(())
}

fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).collect()
}

/// A form body with its line breaks made LF, re-encoded; or the refused field.
fn normalised_form(bytes: &[u8]) -> Result<Bytes, String> {
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("%0D") && !text.contains("%0d") {
        check_urlencoded(&text)?;
        return Ok(Bytes::copy_from_slice(bytes));
    }
    let mut pairs = decoded_pairs(&text);
    for (k, v) in pairs.iter_mut() {
        let fixed = hotline_domain::text::normalise(v).map_err(|_| printable(k))?;
        *v = fixed.into_owned();
    }
    Ok(Bytes::from(
        serde_urlencoded::to_string(&pairs).unwrap_or_default(),
    ))
}
