//! The requester's portal: submit, track and evaluate without logging in.

use super::*;
use crate::orders::public::PublicRequest;
use crate::orders::{CallbackBody, RequesterRequest};
use hotline_domain::{CallbackResult, Kind, Phone, RegionCode};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(portal))
        .route("/portal/new", get(portal_new).post(portal_submit))
        .route("/portal/evaluate", post(portal_evaluate))
}

pub(super) struct PortalResult {
    number: String,
    kind: &'static str,
    status: &'static str,
    registered_at: String,
    deadline: String,
    reply: Option<String>,
    /// What the requester reads while no reply is there yet.
    waiting: &'static str,
    can_evaluate: bool,
    evaluation: Option<&'static str>,
}

pub(super) fn portal_result(v: crate::orders::views::PublicOrderView) -> PortalResult {
    PortalResult {
        number: v.number.clone(),
        kind: labels::kind(v.kind.as_str()),
        status: labels::public_status(v.status),
        waiting: if v.status == hotline_domain::Status::Registered {
            "您的诉求已受理，正在分派承办单位，分派后即开始办理。"
        } else {
            "承办单位正在办理，答复后可在此查看。"
        },
        registered_at: when(&v.registered_at),
        deadline: opt_when(&v.deadline),
        can_evaluate: v.status == hotline_domain::Status::Replied,
        evaluation: v.evaluation.map(labels::callback_result),
        reply: v.reply.map(|r| r.content),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "portal.html")]
pub(super) struct PortalPage {
    number: String,
    code: String,
    error: Option<&'static str>,
    result: Option<PortalResult>,
}

#[derive(Deserialize)]
pub(super) struct PortalQuery {
    number: Option<String>,
    code: Option<String>,
}

/// The requester's own page, without login: number and tracking code show the
/// status, deadline and reply — nobody's personal data.
pub(super) async fn portal(
    State(state): State<AppState>,
    addr: ClientAddr,
    Query(q): Query<PortalQuery>,
) -> Response {
    let (number, code) = (
        q.number.unwrap_or_default().trim().to_owned(),
        q.code.unwrap_or_default().trim().to_owned(),
    );
    let mut page = PortalPage {
        number,
        code,
        error: None,
        result: None,
    };
    if page.number.is_empty() {
        return page.into_response();
    }
    match crate::orders::public::track_order(&state, &addr, &page.number, &page.code).await {
        Ok(v) => {
            page.result = Some(portal_result(v));
            page.into_response()
        }
        Err(e) => {
            page.error = Some(match e.code {
                "rate_limited" => "查询过于频繁，请稍后再试。",
                _ => "未找到该工单，请核对工单编号和查询码。",
            });
            (e.status, page).into_response()
        }
    }
}

#[derive(Default, Deserialize)]
pub(super) struct PortalForm {
    kind: Option<String>,
    #[serde(default)]
    region: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    anonymous: Option<String>,
}

pub(super) struct PortalValues {
    address: String,
    title: String,
    content: String,
    name: String,
    phone: String,
    anonymous: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_new.html")]
pub(super) struct PortalNewPage {
    kinds: Vec<Choice>,
    f: PortalValues,
    error: Option<String>,
    receipt: Option<crate::orders::public::Receipt>,
    /// The districts the installation's hotlines serve, by city; the chosen one's streets.
    districts: Vec<super::places::PlaceGroup>,
    streets: Vec<super::places::Place>,
    served: String,
}

pub(super) async fn portal_new_page(
    state: &AppState,
    f: PortalForm,
    error: Option<String>,
    receipt: Option<crate::orders::public::Receipt>,
) -> Result<PortalNewPage, ApiError> {
    let kind = f.kind.clone().or(Some("help".into()));
    let org = state.org().await?;
    let places = state.regions().await?;
    // The regions of the top hotlines: every place the portal can route a request to.
    let served: Vec<RegionCode> = org
        .all()
        .filter(|u| u.active && u.parent.is_none() && u.kind == hotline_domain::UnitKind::Hotline)
        .map(|u| u.region.clone())
        .collect();
    Ok(PortalNewPage {
        districts: super::places::district_groups(&places, &served, f.region.trim()),
        streets: super::places::street_choices(&places, &f.region, f.street.trim()),
        served: if served.len() == 1 {
            served[0].to_string()
        } else {
            String::new()
        },
        kinds: choices(
            hotline_domain::Kind::ALL.iter().map(|k| k.as_str()),
            labels::kind,
            &kind,
        ),
        error,
        receipt,
        f: PortalValues {
            address: f.address,
            title: f.title,
            content: f.content,
            name: f.name,
            phone: f.phone,
            anonymous: f.anonymous.is_some(),
        },
    })
}

pub(super) async fn portal_new(State(state): State<AppState>) -> Response {
    match portal_new_page(&state, PortalForm::default(), None, None).await {
        Ok(page) => page.into_response(),
        Err(e) => page_error(e),
    }
}

/// The form as the body of `POST /api/v1/public/requests`, refused field by field as
/// the API's JSON would be.
fn portal_request(f: &PortalForm) -> Result<PublicRequest, ApiError> {
    Ok(PublicRequest {
        kind: field("kind", f.kind.as_deref().unwrap_or("help"), Kind::parse)?,
        region: field("region", f.region.trim(), RegionCode::parse)?,
        street: blank_to_none(&f.street),
        title: blank_to_none(&f.title),
        content: f.content.clone(),
        address: blank_to_none(&f.address),
        requester: RequesterRequest {
            name: blank_to_none(&f.name),
            phone: opt_field("requester.phone", &f.phone, Phone::parse)?,
            address: None,
            anonymous: f.anonymous.is_some(),
        },
    })
}

pub(super) async fn portal_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<PortalForm>,
) -> Response {
    let result = match portal_request(&f) {
        Ok(req) => crate::orders::public::submit_request(&state, &addr, req).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(receipt) => {
            match portal_new_page(&state, PortalForm::default(), None, Some(receipt)).await {
                Ok(page) => (axum::http::StatusCode::CREATED, page).into_response(),
                Err(e) => page_error(e),
            }
        }
        Err(e) => {
            let message = if e.code == "rate_limited" {
                "提交过于频繁，请稍后再试。".to_owned()
            } else {
                form_error(&e)
            };
            match portal_new_page(&state, f, Some(message), None).await {
                Ok(page) => (e.status, page).into_response(),
                Err(e) => page_error(e),
            }
        }
    }
}

#[derive(Deserialize)]
pub(super) struct EvaluationForm {
    number: String,
    code: String,
    result: String,
    resolved: Option<String>,
    note: Option<String>,
}

pub(super) async fn portal_evaluate(
    State(state): State<AppState>,
    addr: ClientAddr,
    Form(f): Form<EvaluationForm>,
) -> Response {
    let evaluation = field("result", &f.result, CallbackResult::parse).map(|result| CallbackBody {
        result,
        resolved: Some(f.resolved.as_deref() == Some("true")),
        note: f.note.clone().filter(|n| !n.trim().is_empty()),
    });
    let outcome = match evaluation {
        Ok(b) => crate::orders::public::evaluate_order(&state, &addr, &f.number, &f.code, &b).await,
        Err(e) => Err(e),
    };
    let mut page = PortalPage {
        number: f.number,
        code: f.code,
        error: None,
        result: None,
    };
    match outcome {
        Ok(v) => {
            page.result = Some(portal_result(v));
            page.into_response()
        }
        Err(e) => {
            page.error = Some(match e.code {
                "invalid_transition" => "该工单当前不能评价（可能已评价或尚未答复）。",
                "not_found" => "未找到该工单，请核对工单编号和查询码。",
                _ => "评价未能提交，请稍后再试。",
            });
            (e.status, page).into_response()
        }
    }
}
