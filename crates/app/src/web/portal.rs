//! The requester's portal: submit, track and evaluate without logging in.

use super::*;
use crate::orders::public::PublicRequest;
use crate::orders::{CallbackBody, RequesterRequest};
use hotline_domain::{CallbackResult, Kind, Phone, RegionCode};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/portal", get(portal))
        .route(
            "/portal/new",
            get(portal_new)
                .post(portal_submit)
                .layer(crate::attachments::upload_limit()),
        )
        .route("/portal/evaluate", post(portal_evaluate))
}

pub(super) struct PortalResult {
    number: String,
    kind: &'static str,
    status: &'static str,
    registered_at: String,
    deadline: String,
    reply: Option<String>,
    /// The unit's interim reply and the day it expects to finish.
    interim: Option<(String, String)>,
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
        interim: v
            .interim_reply
            .map(|i| (i.content, i.planned.format("%Y年%-m月%-d日").to_string())),
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
    /// `TOP/SUB` of the taxonomy, or empty.
    #[serde(default)]
    domain: String,
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
    /// The enterprise the requester speaks for, with its credit code.
    #[serde(default)]
    enterprise_name: String,
    #[serde(default)]
    credit_code: String,
    anonymous: Option<String>,
}

pub(super) struct PortalValues {
    address: String,
    title: String,
    content: String,
    name: String,
    phone: String,
    enterprise_name: String,
    credit_code: String,
    anonymous: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "portal_new.html")]
pub(super) struct PortalNewPage {
    kinds: Vec<Choice>,
    /// The taxonomy's categories: (path, `领域 / 类别`, chosen).
    domains: Vec<(String, String, bool)>,
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
    let domains = state
        .taxonomy()
        .await?
        .iter()
        .map(|c| {
            let value = c.path.to_string();
            let chosen = value == f.domain.trim();
            (value, format!("{} / {}", c.top_name, c.name), chosen)
        })
        .collect();
    Ok(PortalNewPage {
        domains,
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
            enterprise_name: f.enterprise_name,
            credit_code: f.credit_code,
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
        domain: opt_field("domain", &f.domain, hotline_domain::DomainPath::parse)?,
        street: blank_to_none(&f.street),
        title: blank_to_none(&f.title),
        content: f.content.clone(),
        address: blank_to_none(&f.address),
        requester: RequesterRequest {
            name: blank_to_none(&f.name),
            phone: opt_field("requester.phone", &f.phone, Phone::parse)?,
            address: None,
            anonymous: f.anonymous.is_some(),
            enterprise: super::enterprise_of(&f.enterprise_name, &f.credit_code)?,
        },
    })
}

/// The portal's form: URL-encoded, or multipart with a photo (`photo`). A multipart
/// form's text passes the same control-character rule as every other form here.
async fn read_portal_form(
    state: &AppState,
    req: axum::extract::Request,
) -> Result<(PortalForm, Option<(String, Vec<u8>)>), Response> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        return match Form::<PortalForm>::from_request(req, state).await {
            Ok(Form(f)) => Ok((f, None)),
            Err(e) => Err(e.into_response()),
        };
    }
    let mut form = match axum::extract::Multipart::from_request(req, state).await {
        Ok(m) => m,
        Err(e) => return Err(e.into_response()),
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut photo = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(refusal(
                    e.status(),
                    "上传未完成，请重试（照片不超过 10 MB）。",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photo" {
            let file = field.file_name().unwrap_or_default().to_owned();
            match field.bytes().await {
                Ok(b) if !b.is_empty() => photo = Some((file, b.to_vec())),
                Ok(_) => {}
                Err(e) => {
                    return Err(refusal(
                        e.status(),
                        "上传未完成，请重试（照片不超过 10 MB）。",
                    ));
                }
            }
            continue;
        }
        let text = field.text().await.unwrap_or_default();
        match hotline_domain::text::normalise(&text) {
            Ok(t) => pairs.push((name, t.into_owned())),
            Err(_) => return Err(ApiError::control_character(&name).into_response()),
        }
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    match serde_urlencoded::from_str::<PortalForm>(&encoded) {
        Ok(f) => Ok((f, photo)),
        Err(_) => Err(refusal(
            axum::http::StatusCode::BAD_REQUEST,
            "表单无法读取，请重试。",
        )),
    }
}

pub(super) async fn portal_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    req: axum::extract::Request,
) -> Response {
    let (f, photo) = match read_portal_form(&state, req).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let result = match (portal_request(&f), &photo) {
        (Ok(_), Some((_, bytes))) if !crate::attachments::accepts(bytes) => Err(ApiError::invalid(
            "photo",
            "a JPEG or PNG photo, or a PDF, of at most 10 MiB",
        )),
        (Ok(req), _) => crate::orders::public::submit_request(&state, &addr, req).await,
        (Err(e), _) => Err(e),
    };
    match result {
        Ok(receipt) => {
            let mut notice = None;
            if let Some((name, bytes)) = photo {
                let attached = async {
                    let number = hotline_domain::OrderNumber::parse(&receipt.number)
                        .map_err(|e| ApiError::internal(e.0))?;
                    let order = state
                        .store()
                        .order_by_number(&number)
                        .await?
                        .ok_or_else(ApiError::not_found)?;
                    crate::attachments::add_from_requester(&state, &addr, &order, &name, bytes)
                        .await
                };
                if attached.await.is_err() {
                    notice = Some("诉求已受理，但照片未能保存，可致电 12345 补充。".to_owned());
                }
            }
            match portal_new_page(&state, PortalForm::default(), notice, Some(receipt)).await {
                Ok(page) => (axum::http::StatusCode::CREATED, page).into_response(),
                Err(e) => page_error(e),
            }
        }
        Err(e) => {
            let message = if e.code == "rate_limited" {
                "提交过于频繁，请稍后再试。".to_owned()
            } else if e.fields.as_ref().is_some_and(|f| f.contains_key("photo")) {
                "照片须为 JPEG 或 PNG 格式（也可以是 PDF 文件），不超过 10 MB。".to_owned()
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
