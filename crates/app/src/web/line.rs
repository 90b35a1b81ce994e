//! The line head's oversight page (条线监管): the units of its line, a sample drawn
//! for inspection (抽查) and its findings, recorded beside each drawn order.

use super::*;
use hotline_domain::sampling::{Sample, SampleRule, Verdict};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/line", get(page))
        .route("/console/line/samples", post(draw))
        .route("/console/line/samples/{id}/findings", post(finding))
}

pub(super) struct ItemLine {
    order_id: i64,
    number: String,
    unit: String,
    verdict: &'static str,
    finding: String,
    inspected: String,
}

pub(super) struct SampleBlock {
    id: i64,
    title: String,
    items: Vec<ItemLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "line.html")]
pub(super) struct LinePage {
    me: Option<Shell>,
    csrf: String,
    head: String,
    units: Vec<String>,
    month: String,
    samples: Vec<SampleBlock>,
    message: Option<String>,
    error: Option<String>,
}

fn verdict_label(v: Option<Verdict>) -> &'static str {
    match v {
        None => "待检查",
        Some(Verdict::Sound) => "规范",
        Some(Verdict::Flawed) => "存在问题",
    }
}

fn block(org: &Org, s: Sample) -> SampleBlock {
    let rule = match s.rule {
        SampleRule::Count(n) => format!("每单位 {n} 件"),
        SampleRule::Percent(p) => format!("每单位 {p}%"),
    };
    SampleBlock {
        id: s.id,
        title: format!(
            "{} 抽查（{}，自 {} 件中抽取 {} 件；{} 于 {} 抽取）",
            s.period,
            rule,
            s.population,
            s.items.len(),
            s.drawn_by,
            when(&s.drawn_at)
        ),
        items: s
            .items
            .into_iter()
            .map(|i| ItemLine {
                order_id: i.order_id.get(),
                number: i.number,
                unit: unit_name(org, Some(i.unit.as_str())),
                verdict: verdict_label(i.verdict),
                finding: i.finding.unwrap_or_default(),
                inspected: match (&i.inspected_by, &i.inspected_at) {
                    (Some(by), Some(at)) => format!("{by}，{}", when(at)),
                    _ => String::new(),
                },
            })
            .collect(),
    }
}

async fn view(
    state: &AppState,
    user: &ConsoleUser,
    message: Option<String>,
    error: Option<String>,
) -> Response {
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let samples = match crate::sampling::samples(state, &user.viewer, 10).await {
        Ok(s) => s,
        Err(e) if e.code == "forbidden" => {
            return refused("条线监管页面供条线主管部门的监管员使用。");
        }
        Err(e) => return page_error(e),
    };
    let head = user.viewer.user.unit.clone();
    let units = head
        .as_ref()
        .map(|h| {
            org.line_members(h)
                .iter()
                .map(|u| unit_name(&org, Some(u.as_str())))
                .collect()
        })
        .unwrap_or_default();
    LinePage {
        me: Some(shell(state, &org, user)),
        csrf: csrf_token(state, &user.token),
        head: head
            .map(|h| unit_name(&org, Some(h.as_str())))
            .unwrap_or_default(),
        units,
        month: state.today().format("%Y-%m").to_string(),
        samples: samples.into_iter().map(|s| block(&org, s)).collect(),
        message,
        error,
    }
    .into_response()
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    /// How many orders the draw just made took (after its redirect).
    drawn: Option<usize>,
    /// A finding was just recorded (after its redirect).
    recorded: Option<u8>,
}

/// The page again with the refusal, under its status.
async fn refused_with(state: &AppState, user: &ConsoleUser, e: ApiError) -> Response {
    let page = view(state, user, None, Some(form_error(&e))).await;
    (e.status, page).into_response()
}

async fn page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<PageQuery>,
) -> Response {
    let message = match (q.drawn, q.recorded) {
        (Some(n), _) => Some(format!("已抽取 {n} 件工单。")),
        (None, Some(_)) => Some("已记录检查结论。".to_owned()),
        _ => None,
    };
    view(&state, &user, message, None).await
}

#[derive(Deserialize)]
pub(super) struct DrawForm {
    csrf: String,
    period: String,
    /// `count` or `percent`.
    by: String,
    amount: String,
}

async fn draw(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<DrawForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let rule = match (f.by.as_str(), f.amount.trim().parse::<u32>()) {
        ("count", Ok(n)) => SampleRule::Count(n),
        ("percent", Ok(p)) => SampleRule::Percent(p),
        _ => {
            let e = ApiError::invalid("rule", "give a number of orders or a percentage");
            return refused_with(&state, &user, e).await;
        }
    };
    let req = crate::sampling::DrawRequest {
        period: f.period,
        rule,
    };
    match crate::sampling::draw_sample(&state, &user.viewer, &addr, req).await {
        // Redirected, so that reloading the page draws nothing again.
        Ok(s) => Redirect::to(&format!("/console/line?drawn={}", s.items.len())).into_response(),
        Err(e) => refused_with(&state, &user, e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct FindingForm {
    csrf: String,
    order_id: i64,
    verdict: String,
    finding: Option<String>,
}

async fn finding(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(f): Form<FindingForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let Ok(id) = id.parse::<i64>() else {
        return page_error(ApiError::not_found());
    };
    let verdict = match Verdict::parse(&f.verdict) {
        Ok(v) => v,
        Err(e) => {
            let e = ApiError::invalid("verdict", e.to_string());
            return refused_with(&state, &user, e).await;
        }
    };
    let req = crate::sampling::FindingRequest {
        order_id: f.order_id,
        verdict,
        finding: f.finding,
    };
    match crate::sampling::record_finding(&state, &user.viewer, &addr, id, req).await {
        // Redirected, so that reloading the page records nothing again.
        Ok(_) => Redirect::to("/console/line?recorded=1").into_response(),
        Err(e) => refused_with(&state, &user, e).await,
    }
}
