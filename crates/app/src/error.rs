//! The one error type of the HTTP layer and its rendering in the API's format:
//! `{"error": {"code", "message", "fields"?}}`. Server errors are logged with their
//! detail and answered without it.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hotline_domain::TransitionError;
use hotline_store::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Option<BTreeMap<String, String>>,
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: None,
            retry_after: None,
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed", message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "log in first: Authorization: Bearer TOKEN",
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource")
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    /// 422 naming the field and its problem.
    pub fn invalid(field: &str, problem: impl Into<String>) -> Self {
        let problem = problem.into();
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!("{field}: {problem}"),
        );
        e.fields = Some(BTreeMap::from([(field.to_owned(), problem)]));
        e
    }
    /// 422 `control_character`: a text field holds a C0 control character other than
    /// tab and LF, or DEL.
    pub fn control_character(field: &str) -> Self {
        let mut e = Self::invalid(
            field,
            "contains a control character (only tab and line breaks are allowed)",
        );
        e.code = "control_character";
        e
    }
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the request body is too large",
        )
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; it has been logged",
        )
    }
    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "too many requests; try again later",
        );
        e.retry_after = Some(retry_after);
        e
    }
}

/// Every error answer's body; the OpenAPI document names it `Error`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct Body<'a> {
    error: Inner<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
struct Inner<'a> {
    /// Stable, snake_case: `validation`, `not_found`, `forbidden`, …
    code: &'a str,
    /// For people; may change.
    message: &'a str,
    /// The offending field(s) and their problem (422).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    fields: Option<&'a BTreeMap<String, String>>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            error: Inner {
                code: self.code,
                message: &self.message,
                fields: self.fields.as_ref(),
            },
        };
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Duplicate(what) => {
                ApiError::conflict("already_exists", format!("already exists: {what}"))
            }
            StoreError::VersionConflict => ApiError::conflict(
                "conflict",
                "the order was changed meanwhile; reload and try again",
            ),
            StoreError::IdempotencyKeyReused => {
                let mut e =
                    ApiError::invalid("Idempotency-Key", "already used with another request body");
                e.code = "idempotency_key_reused";
                e
            }
            StoreError::Backend(detail) => ApiError::internal(detail),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(e: TransitionError) -> Self {
        let message = e.to_string();
        match e {
            TransitionError::Forbidden => ApiError::forbidden(message),
            TransitionError::Invalid { field, problem } => ApiError::invalid(field, problem),
            TransitionError::DomainRequired => {
                let mut e = ApiError::invalid("domain", message);
                e.code = "domain_required";
                e
            }
            other => ApiError::conflict(other.code(), message),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
