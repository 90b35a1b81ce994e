//! The operator's intake screen (受理).

use super::*;
use crate::error::ApiResult;
use crate::orders::{ActionInput, AnswerBody, DispatchBody, RequesterRequest, TriageBody};
use hotline_domain::{Channel, DomainPath, Kind, Phone, RegionCode, TriageRoute};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/console/intake", get(intake_page).post(intake_submit))
}

/// Staff of a hotline who register orders take calls.
pub(super) fn may_take_calls(org: &Org, v: &Viewer) -> bool {
    v.staff_hotline(org).is_some() && v.grants(Capability::RegisterOrders)
}

pub(super) struct DomainGroup {
    label: String,
    items: Vec<DynChoice>,
}

pub(super) struct HistoryLine {
    id: i64,
    number: String,
    at: String,
    kind: &'static str,
    title: String,
    status: &'static str,
}

/// What the operator typed, kept when the page is shown again.
#[derive(Default, Deserialize)]
pub(super) struct IntakeForm {
    csrf: Option<String>,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    name: String,
    /// The enterprise the caller speaks for (涉企诉求), with its credit code.
    #[serde(default)]
    enterprise_name: String,
    #[serde(default)]
    credit_code: String,
    anonymous: Option<String>,
    confidential: Option<String>,
    urgent: Option<String>,
    channel: Option<String>,
    kind: Option<String>,
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
    then: Option<String>,
    /// `1` while the unit field holds the dispatch catalogue's suggestion, untouched.
    unit_suggested: Option<String>,
    /// The operator has checked the sensitive words flagged in the answer.
    confirm_sensitive: Option<String>,
    #[serde(default)]
    answer: String,
    route: Option<String>,
    #[serde(default)]
    triage_note: String,
    #[serde(default)]
    unit: String,
    article_id: Option<String>,
}

/// The form's values as the template shows them.
pub(super) struct IntakeValues {
    phone: String,
    name: String,
    enterprise_name: String,
    credit_code: String,
    anonymous: bool,
    confidential: bool,
    urgent: bool,
    address: String,
    title: String,
    content: String,
    answer: String,
    triage_note: String,
    unit: String,
    unit_suggested: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "intake.html")]
pub(super) struct IntakePage {
    me: Option<Shell>,
    error: Option<String>,
    f: IntakeValues,
    looked_up: bool,
    history: Vec<HistoryLine>,
    same_place: Vec<HistoryLine>,
    channels: Vec<Choice>,
    kinds: Vec<Choice>,
    domains: Vec<DomainGroup>,
    /// The districts of the operator's hotline, by city; the chosen district's streets.
    districts: Vec<super::places::PlaceGroup>,
    streets: Vec<super::places::Place>,
    /// The division the hotline serves (where the address suggestion looks).
    served: String,
    routes: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    csrf: String,
    /// Urgent answer scripts pinned for this operator's region: (id, title, answer).
    pinned: Vec<(i64, String, String)>,
    /// Knowledge articles matching what was typed (the suggestion panel).
    hits: Vec<super::kb::HitLine>,
    /// The dispatch catalogue's suggestion for the domain and district chosen.
    suggested: Option<String>,
    /// The operator's common phrases (常用语).
    phrases: Vec<String>,
    /// The caller's name and address at their latest visible order, offered to fill in.
    earlier: Option<(String, String)>,
}

pub(super) async fn intake_view(
    state: &AppState,
    user: &ConsoleUser,
    f: IntakeForm,
    error: Option<String>,
    looked_up: bool,
) -> Result<IntakePage, ApiError> {
    let org = state.org().await?;
    let taxonomy = state.taxonomy().await?;
    let mut history = Vec::new();
    let mut earlier = None;
    if looked_up && let Ok(phone) = hotline_domain::Phone::parse(&f.phone) {
        let found = history_for(state, &user.viewer, &phone).await?;
        // The latest order whose requester may be carried into a new one: never a
        // report's (a whistleblower's name must not travel into an order a handling
        // unit reads) nor a confidential order's.
        earlier = found
            .iter()
            .filter(|v| v.kind != hotline_domain::Kind::Report && !v.confidential)
            .filter(|v| !v.requester.hidden && !v.requester.anonymous)
            .find(|v| {
                v.requester.name.is_some() || v.requester.address.is_some() || v.address.is_some()
            })
            .map(|v| {
                // The requester's own address if they gave one, else where their
                // matter was (a repeat caller often calls about the same place).
                let address = v.requester.address.clone().or_else(|| v.address.clone());
                (
                    v.requester.name.clone().unwrap_or_default(),
                    address.unwrap_or_default(),
                )
            });
        for v in found {
            history.push(history_line(&v));
        }
    }
    let mut same_place = Vec::new();
    if looked_up && !f.address.trim().is_empty() {
        for v in same_address_for(state, &user.viewer, &f.address).await? {
            same_place.push(history_line(&v));
        }
    }
    let mut domains: Vec<DomainGroup> = Vec::new();
    for c in taxonomy.iter() {
        let choice = DynChoice {
            value: c.path.to_string(),
            label: c.name.clone(),
            selected: f.domain == c.path.to_string(),
        };
        match domains.last_mut() {
            Some(g) if g.label == c.top_name => g.items.push(choice),
            _ => domains.push(DomainGroup {
                label: c.top_name.clone(),
                items: vec![choice],
            }),
        }
    }
    let hotline = user.viewer.staff_hotline(&org).cloned();
    let mut units: Vec<(String, String)> = org
        .all()
        .filter(|u| {
            u.active
                && hotline
                    .as_ref()
                    .is_some_and(|h| *h != u.code && org.is_same_or_above(h, &u.code))
        })
        .map(|u| (u.code.to_string(), u.name.clone()))
        .collect();
    units.sort();
    let served: Vec<RegionCode> = hotline
        .as_ref()
        .and_then(|h| org.get(h))
        .map(|h| h.region.clone())
        .into_iter()
        .collect();
    let places = state.regions().await?;
    let suggestion = match (
        DomainPath::parse(f.domain.trim()).ok(),
        RegionCode::parse(f.region.trim()).ok(),
    ) {
        (domain, Some(region)) if user.viewer.staff_hotline(&org).is_some() => {
            crate::catalogue::suggestion_for_intake(state, &user.viewer, domain.as_ref(), &region)
                .await?
                .into_iter()
                .next()
        }
        _ => None,
    };
    let districts = super::places::district_groups(&places, &served, f.region.trim());
    let streets = super::places::street_choices(&places, &f.region, f.street.trim());
    let routes = triage_routes(&user.viewer);
    let pinned = crate::kb::pinned_for(state, &user.viewer)
        .await?
        .into_iter()
        .map(|a| (a.id, a.content.title, a.content.answer))
        .collect();
    let typed = format!("{} {}", f.title, f.content);
    let hits = super::kb::suggestions(state, &user.viewer, &typed, super::kb::SUGGESTIONS).await?;
    let channel = f.channel.clone().or(Some("phone".into()));
    let kind = f.kind.clone();
    let cited = cited_script(state, &user.viewer, &f).await?;
    let phrases = crate::auth::phrases::phrases_of(state, &user.viewer)
        .await
        .map(|p| p.items)
        .unwrap_or_default();
    Ok(IntakePage {
        me: Some(shell(state, &org, user)),
        error,
        looked_up,
        history,
        same_place,
        channels: choices(
            hotline_domain::Channel::ALL.iter().map(|c| c.as_str()),
            labels::channel,
            &channel,
        ),
        kinds: choices(
            hotline_domain::Kind::ALL.iter().map(|k| k.as_str()),
            labels::kind,
            &kind,
        ),
        domains,
        districts,
        streets,
        served: served.first().map(|r| r.to_string()).unwrap_or_default(),
        routes,
        units,
        csrf: csrf_token(state, &user.token),
        pinned,
        hits,
        suggested: suggestion.as_ref().map(crate::catalogue::hint),
        phrases,
        earlier,
        f: IntakeValues {
            phone: f.phone,
            name: f.name,
            enterprise_name: f.enterprise_name,
            credit_code: f.credit_code,
            anonymous: f.anonymous.is_some(),
            confidential: f.confidential.is_some(),
            urgent: f.urgent.is_some(),
            address: f.address,
            title: f.title,
            content: f.content,
            answer: cited.unwrap_or(f.answer),
            triage_note: f.triage_note,
            unit_suggested: (suggestion.is_some() && f.unit.trim().is_empty())
                || (f.unit_suggested.as_deref() == Some("1")),
            unit: match &suggestion {
                Some(s) if f.unit.trim().is_empty() => format!("{}（{}）", s.name, s.unit),
                _ => f.unit,
            },
        },
    })
}

pub(super) async fn intake_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(f): Query<IntakeForm>,
) -> Response {
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    if !may_take_calls(&org, &user.viewer) {
        return refused("您的角色不登记诉求。");
    }
    let looked_up = !f.phone.trim().is_empty() || !f.address.trim().is_empty();
    let bad_phone = !f.phone.trim().is_empty() && hotline_domain::Phone::parse(&f.phone).is_err();
    let error = bad_phone.then(|| "来电号码格式不正确。".to_owned());
    match intake_view(&state, &user, f, error, looked_up).await {
        Ok(page) => page.into_response(),
        Err(e) => page_error(e),
    }
}

/// The form as the body of `POST /api/v1/orders`, refused field by field as the
/// API's JSON would be.
pub(super) fn intake_request(f: &IntakeForm) -> ApiResult<CreateOrderRequest> {
    let or = |v: &Option<String>, default: &str| v.clone().unwrap_or_else(|| default.to_owned());
    Ok(CreateOrderRequest {
        channel: field("channel", &or(&f.channel, "phone"), Channel::parse)?,
        kind: match f.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => field("kind", k, Kind::parse)?,
            None => {
                return Err(ApiError::invalid(
                    "kind",
                    "must be chosen: the call's kind decides its deadline",
                ));
            }
        },
        domain: opt_field("domain", &f.domain, DomainPath::parse)?,
        region: field("region", f.region.trim(), RegionCode::parse)?,
        street: blank_to_none(&f.street),
        title: f.title.clone(),
        content: f.content.clone(),
        address: blank_to_none(&f.address),
        urgent: f.urgent.is_some(),
        location: None,
        requester: RequesterRequest {
            name: blank_to_none(&f.name),
            phone: opt_field("requester.phone", &f.phone, Phone::parse)?,
            address: None,
            anonymous: f.anonymous.is_some(),
            enterprise: super::enterprise_of(&f.enterprise_name, &f.credit_code)?,
        },
        confidential: f.confidential.is_some(),
    })
}

pub(super) async fn intake_submit(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<IntakeForm>,
) -> Response {
    if !csrf_ok(&state, &user, f.csrf.as_deref().unwrap_or("")) {
        return stale_form();
    }
    let then = match f.then.as_deref() {
        Some("enter") => match disposition_typed(&f) {
            Ok(then) => then,
            Err(why) => return keep_form(&state, &user, f, why).await,
        },
        Some(then) => then,
        None => "register",
    };
    // The follow-up's own input is checked before anything is registered.
    let follow_up = match then {
        "answer" if f.answer.trim().is_empty() => {
            Err(ApiError::invalid("answer", "must not be empty"))
        }
        "answer" => crate::reply_review::check_public_text(
            &state,
            "answer",
            f.answer.trim(),
            f.confirm_sensitive.as_deref() == Some("true"),
        )
        .await
        .map(|()| {
            Some(ActionInput::Answer(AnswerBody {
                content: f.answer.trim().to_owned(),
                article_id: f.article_id.as_deref().and_then(|a| a.parse::<i64>().ok()),
                // Checked just above, before anything is registered.
                confirm_sensitive: true,
            }))
        }),
        "triage" if f.triage_note.trim().is_empty() => {
            Err(ApiError::invalid("triage_note", "must not be empty"))
        }
        "triage" => TriageRoute::parse(f.route.as_deref().unwrap_or("explain"))
            .map_err(|e| ApiError::invalid("route", e.0))
            .map(|route| {
                Some(ActionInput::Triage(TriageBody {
                    route,
                    note: f.triage_note.trim().to_owned(),
                }))
            }),
        "dispatch" if f.unit.trim().is_empty() => {
            Err(ApiError::invalid("unit", "must not be empty"))
        }
        "dispatch" => match dispatch_target(&state, &user.viewer, f.unit.trim()).await {
            None => Err(ApiError::invalid(
                "unit",
                "no such active unit under this hotline",
            )),
            // A unit receives a classified request: checked before anything is
            // registered (a hand-down to a hotline needs no domain).
            Some(kind) if f.domain.trim().is_empty() && !kind.takes_requests() => {
                let mut e = ApiError::invalid("domain", "a dispatch to a unit needs the domain");
                e.code = "domain_required";
                Err(e)
            }
            Some(_) => Ok(Some(ActionInput::Dispatch(DispatchBody {
                unit: f.unit.trim().to_owned(),
                co_units: Vec::new(),
                note: None,
                domain: None,
            }))),
        },
        _ => Ok(None),
    };
    let registered = match follow_up {
        Err(e) => Err(e),
        Ok(next) => match intake_request(&f) {
            Err(e) => Err(e),
            Ok(req) => create_for(&state, &user.viewer, &addr, req, None)
                .await
                .map(|c| (c.order.id, next)),
        },
    };
    match registered {
        Ok((id, None)) => Redirect::to(&format!("/console/orders/{id}?created=1")).into_response(),
        Ok((id, Some(action))) => match perform(&state, &user.viewer, &addr, id, action).await {
            Ok(_) => Redirect::to(&format!("/console/orders/{id}?created=1")).into_response(),
            Err(e) => {
                Redirect::to(&format!("/console/orders/{id}?error={}", e.code)).into_response()
            }
        },
        Err(e) => {
            let status = e.status;
            match intake_view(&state, &user, f, Some(form_error(&e)), false).await {
                Ok(page) => (status, page).into_response(),
                Err(e) => page_error(e),
            }
        }
    }
}

/// What Enter in a field of the form means: the one disposition whose field the
/// operator filled in. None filled, or several, and Enter does nothing: registering
/// the call as 待派单 would drop the unit or the route they chose.
fn disposition_typed(f: &IntakeForm) -> Result<&'static str, &'static str> {
    // A unit the catalogue suggested is not the operator's choice until they confirm it
    // (typing in the field, or Enter there, clears the mark).
    let no_unit = String::new();
    let unit = if f.unit_suggested.as_deref() == Some("1") {
        &no_unit
    } else {
        &f.unit
    };
    let typed = [
        ("dispatch", unit),
        ("answer", &f.answer),
        ("triage", &f.triage_note),
    ];
    let mut chosen = typed.iter().filter(|(_, v)| !v.trim().is_empty());
    match (chosen.next(), chosen.next()) {
        (Some((then, _)), None) => Ok(*then),
        (None, _) => {
            Err("回车没有登记：请点一个处理方式的按钮（或先填写承办单位、直接答复或处置说明）。")
        }
        (Some(_), Some(_)) => Err(
            "回车没有登记：承办单位、直接答复和处置说明填了不止一项，请点要执行的处理方式按钮。",
        ),
    }
}

/// The form again, as typed, with why nothing was done.
async fn keep_form(state: &AppState, user: &ConsoleUser, f: IntakeForm, why: &str) -> Response {
    match intake_view(state, user, f, Some(why.to_owned()), false).await {
        Ok(page) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response(),
        Err(e) => page_error(e),
    }
}

/// The kind of the unit a dispatch from this viewer's hotline names, if it can take
/// one (active, in the hotline's dispatch tree): checked before anything is registered.
async fn dispatch_target(
    state: &AppState,
    v: &Viewer,
    unit: &str,
) -> Option<hotline_domain::UnitKind> {
    let org = state.org().await.ok()?;
    let hotline = v.staff_hotline(&org)?;
    // Named as the picker shows it, by code, or by a name that finds one unit.
    let code = org.resolve_unit(unit, hotline).ok()?;
    org.get(&code)
        .filter(|u| u.active && org.in_dispatch_tree(hotline, &code))
        .map(|u| u.kind)
}

/// The answer script of the article cited, when the direct answer is still empty:
/// what citing fills in (the page's script does it at once; this is its fallback).
async fn cited_script(state: &AppState, v: &Viewer, f: &IntakeForm) -> ApiResult<Option<String>> {
    if !f.answer.trim().is_empty() {
        return Ok(None);
    }
    let Some(id) = f.article_id.as_deref().and_then(|a| a.parse::<i64>().ok()) else {
        return Ok(None);
    };
    // Only an article the operator could cite: published, valid today, of their region.
    if crate::kb::check_citation(state, v, id).await.is_err() {
        return Ok(None);
    }
    Ok(state.store().article(id).await?.map(|a| a.content.answer))
}

fn history_line(v: &OrderView) -> HistoryLine {
    HistoryLine {
        id: v.id.get(),
        number: v.number.clone(),
        at: when(&v.registered_at),
        kind: labels::kind(v.kind.as_str()),
        title: v.title.clone(),
        status: labels::status(v.status.as_str()),
    }
}
