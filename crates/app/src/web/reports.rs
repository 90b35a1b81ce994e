//! Report pages: the unit assessment table.

use super::*;
use crate::reports::{UnitLine, assess_units};
use crate::spreadsheet::{Cell, Table};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/reports/units", get(units_page))
        .route("/console/reports/hotlines", get(hotlines_page))
        .route("/console/supervision", get(supervision_page))
        .route("/console/reports/hotspots", get(hotspots_page))
        .route(
            "/console/reports/summons",
            get(summons_page).post(summons_acted),
        )
        .route("/console/reports/period", get(period_page))
        .route("/static/vendor/echarts-5.6.0.min.js", get(echarts))
        .route(
            "/static/report-charts.js",
            static_file(JS, include_str!("../../../../static/report-charts.js")),
        )
}

pub(super) struct HotlineRow {
    code: String,
    name: String,
    received: u64,
    median: String,
    prompt: String,
    direct: String,
    accuracy: String,
    callback: String,
    timeliness: String,
    reopen: String,
    escalated_out: u64,
}

fn hotline_row(l: &crate::reports::hotlines::HotlineLine) -> HotlineRow {
    HotlineRow {
        code: l.hotline.clone(),
        name: l.name.clone(),
        received: l.received,
        median: l
            .routing_median_minutes
            .map_or("—".to_owned(), |m| match m {
                0..60 => format!("{m} 分钟"),
                60..1440 => format!("{:.1} 小时", m as f64 / 60.0),
                _ => format!("{:.1} 天", m as f64 / 1440.0),
            }),
        prompt: percent(l.routed_promptly),
        direct: percent(l.direct_answer_rate),
        accuracy: percent(l.dispatch_accuracy),
        callback: percent(l.callback_rate),
        timeliness: percent(l.callback_timeliness),
        reopen: percent(l.reopen_rate),
        escalated_out: l.escalated_out,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "report_hotlines.html")]
pub(super) struct HotlinesPage {
    me: Option<Shell>,
    from: String,
    to: String,
    lines: Vec<HotlineRow>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RangeForm {
    from: Option<String>,
    to: Option<String>,
}

/// The days a form asked for, as typed, or the 30 days up to today.
fn range_or_last_30_days(
    today: chrono::NaiveDate,
    from: Option<String>,
    to: Option<String>,
) -> (String, String) {
    let from = from
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| (today - chrono::Days::new(30)).to_string());
    let to = to
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| today.to_string());
    (from, to)
}

/// 热线工作考核: each hotline and sub-centre of the reader's subtree.
pub(super) async fn hotlines_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<RangeForm>,
) -> Response {
    if !user.viewer.grants(Capability::ReadReports) {
        return refused("您的角色不查看考核报表。");
    }
    let (from, to) = range_or_last_30_days(state.today(), q.from, q.to);
    let run = async {
        let from_t = crate::dates::time("from", &from, false)?;
        let to_t = crate::dates::time("to", &to, true)?;
        crate::reports::hotlines::assess_hotlines(&state, &user.viewer, from_t, to_t).await
    };
    let (lines, error) = match run.await {
        Ok(lines) => (lines.iter().map(hotline_row).collect(), None),
        Err(e) => (Vec::new(), Some(form_error(&e))),
    };
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    HotlinesPage {
        me: Some(shell(&state, &org, &user)),
        from,
        to,
        lines,
        error,
    }
    .into_response()
}

pub(super) struct Line {
    rank: usize,
    level: &'static str,
    unit: String,
    name: String,
    dispatches: u64,
    rates: Vec<String>,
    score: String,
    /// The parent unit's name, for a sub-unit (its line is a breakdown under it).
    parent: Option<String>,
    /// Second-level dispatches received · replied · on time, or "—".
    forwards: String,
}

/// A parent unit and its sub-units' lines (二级派单's breakdown).
pub(super) struct Breakdown {
    parent: String,
    subs: Vec<Line>,
}

fn forwards_text(f: &crate::reports::ForwardTally) -> String {
    if f.received == 0 && f.replied == 0 {
        return "—".into();
    }
    format!(
        "收 {} · 复 {} · 按时 {}",
        f.received, f.replied, f.replied_on_time
    )
}

/// The sub-units' lines grouped under their parents, parents by name.
fn breakdown(org: &Org, lines: &[UnitLine]) -> Vec<Breakdown> {
    let mut by_parent: std::collections::BTreeMap<String, Vec<Line>> = Default::default();
    for l in lines {
        if let Some(p) = &l.parent {
            by_parent
                .entry(super::unit_name(org, Some(p)))
                .or_default()
                .push(line(org, l));
        }
    }
    by_parent
        .into_iter()
        .map(|(parent, subs)| Breakdown { parent, subs })
        .collect()
}

fn percent(v: Option<f64>) -> String {
    v.map_or("—".to_owned(), |x| format!("{:.1}%", x * 100.0))
}

fn line(org: &Org, l: &UnitLine) -> Line {
    let r = &l.rates;
    Line {
        parent: l.parent.as_deref().map(|p| super::unit_name(org, Some(p))),
        forwards: forwards_text(&l.forwards),
        rank: l.rank,
        level: super::admin::unit_kind_label(&l.level),
        unit: l.unit.clone(),
        name: l.name.clone(),
        dispatches: l.dispatches,
        rates: [
            r.response,
            r.on_time_completion,
            r.r#return,
            r.reopen,
            r.resolution,
            r.satisfaction,
        ]
        .into_iter()
        .map(percent)
        .collect(),
        score: l.score.map_or("—".to_owned(), |s| format!("{s:.1}")),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "report_units.html")]
pub(super) struct UnitsPage {
    me: Option<Shell>,
    from: String,
    to: String,
    region: String,
    lines: Vec<Line>,
    /// Each parent unit with its sub-units' lines.
    breakdown: Vec<Breakdown>,
    weights: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct UnitsQuery {
    from: Option<String>,
    to: Option<String>,
    region: Option<String>,
    format: Option<String>,
}

/// The assessment as a table: the page's columns, rates as percentages.
fn units_table(lines: &[UnitLine], from: &str, to: &str, region: &str, weights: &str) -> Table {
    let mut header: Vec<String> = ["级别", "级别内排名", "承办单位", "单位编码", "派单数"]
        .map(str::to_owned)
        .to_vec();
    header.extend(RATE_NAMES.map(str::to_owned));
    header.extend(
        [
            "综合得分",
            "上级单位",
            "二级派单收到",
            "二级派单答复",
            "二级派单按时答复",
        ]
        .map(str::to_owned),
    );
    let rows = lines
        .iter()
        .map(|l| {
            let r = &l.rates;
            let mut row = vec![
                Cell::from(super::admin::unit_kind_label(&l.level)),
                Cell::Count(l.rank as u64),
                Cell::from(l.name.clone()),
                Cell::from(l.unit.clone()),
                Cell::Count(l.dispatches),
            ];
            row.extend(
                [
                    r.response,
                    r.on_time_completion,
                    r.r#return,
                    r.reopen,
                    r.resolution,
                    r.satisfaction,
                ]
                .map(Cell::Rate),
            );
            row.push(l.score.map_or(Cell::from("—"), Cell::Figure));
            row.push(Cell::from(l.parent.clone().unwrap_or_default()));
            row.extend(
                [
                    l.forwards.received,
                    l.forwards.replied,
                    l.forwards.replied_on_time,
                ]
                .map(Cell::Count),
            );
            row
        })
        .collect();
    let place = if region.trim().is_empty() {
        String::new()
    } else {
        format!("，区划 {}", region.trim())
    };
    Table {
        title: "承办单位考核".into(),
        note: format!("派单日期 {from} 至 {to}{place}。{weights}"),
        header,
        rows,
    }
}

/// The rate columns of the assessment, in the page's order.
const RATE_NAMES: [&str; 6] = [
    "响应率",
    "按时办结率",
    "退单率",
    "重办率",
    "解决率",
    "满意率",
];

pub(super) async fn units_page(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Query(q): Query<UnitsQuery>,
) -> Response {
    if !user.viewer.grants(Capability::ReadReports) {
        return refused("您的角色不查看考核报表。");
    }
    let (from, to) = range_or_last_30_days(state.today(), q.from, q.to);
    let region = q.region.unwrap_or_default();
    let run = async {
        let from_t = crate::dates::time("from", &from, false)?;
        let to_t = crate::dates::time("to", &to, true)?;
        let region = (!region.trim().is_empty())
            .then(|| hotline_domain::RegionCode::parse(region.trim()))
            .transpose()
            .map_err(|e| ApiError::invalid("region", e.0))?;
        assess_units(&state, &user.viewer, from_t, to_t, region).await
    };
    let (lines, error) = match run.await {
        Ok(lines) => (lines, None),
        Err(e) => (Vec::new(), Some(form_error(&e))),
    };
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let w = match crate::reports::weights(&state).await {
        Ok(w) => w,
        Err(e) => return page_error(e),
    };
    if let (Some(format), None) = (q.format.as_deref(), &error) {
        let table = units_table(&lines, &from, &to, &region, &weights_sentence(&w));
        let stem = format!("assessment-{from}-{to}");
        return download(
            &state,
            &user,
            &addr,
            "assessment.export",
            &table,
            format,
            &stem,
        )
        .await;
    }
    UnitsPage {
        me: Some(shell(&state, &org, &user)),
        weights: weights_sentence(&w),
        breakdown: breakdown(&org, &lines),
        lines: lines.iter().map(|l| line(&org, l)).collect(),
        from,
        to,
        region,
        error,
    }
    .into_response()
}

/// How the score is made, and a word when on-time completion is not weighed.
fn weights_sentence(w: &hotline_domain::assessment::Weights) -> String {
    let mut s = format!(
        "综合得分 = 响应率 × {:.0}% + 按时办结率 × {:.0}% + 解决率 × {:.0}% + 满意率 × {:.0}%（缺项时按其余权重折算）",
        w.response * 100.0,
        w.on_time_completion * 100.0,
        w.resolution * 100.0,
        w.satisfaction * 100.0
    );
    if w.on_time_completion == 0.0 {
        s.push_str("。注意：按时办结率的权重为 0，未计入综合得分（本系统沿用管理员此前设置的三项权重，可在权重设置中调整）");
    }
    s
}

pub(super) struct SupervisionRow {
    id: i64,
    number: String,
    title: String,
    unit: String,
    level: &'static str,
    state: &'static str,
    overseer: String,
    deadline: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "supervision.html")]
pub(super) struct SupervisionPage {
    me: Option<Shell>,
    rows: Vec<SupervisionRow>,
    state: String,
    mine: bool,
}

#[derive(Deserialize)]
pub(super) struct SupervisionQuery {
    state: Option<String>,
    mine: Option<String>,
    format: Option<String>,
}

const SUPERVISION_COLUMNS: [&str; 7] = [
    "工单编号",
    "标题",
    "承办单位",
    "督办级别",
    "状态",
    "督办单位",
    "办理时限",
];

fn state_label(s: &str) -> &'static str {
    match s {
        "open" => "督办中",
        "answered" => "已答复",
        _ => "已办结",
    }
}

pub(super) async fn supervision_page(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Query(q): Query<SupervisionQuery>,
) -> Response {
    let wanted = q.state.filter(|s| !s.is_empty());
    let mine = q.mine.is_some();
    let lines =
        crate::orders::supervision::list_for(&state, &user.viewer, wanted.as_deref(), mine).await;
    let (lines, org) = match (lines, state.org().await) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return page_error(e),
    };
    let rows = lines
        .into_iter()
        .map(|l| SupervisionRow {
            id: l.order.id.get(),
            number: l.order.number.clone(),
            title: l.order.title.clone(),
            unit: unit_name(&org, l.order.unit.as_ref().map(|u| u.as_str())),
            level: if l.order.supervision == hotline_domain::SupervisionLevel::Escalated {
                "提级督办"
            } else {
                "督办"
            },
            state: state_label(l.state),
            overseer: unit_name(&org, Some(l.overseen_by.as_str())),
            deadline: opt_when(&l.order.deadline),
        })
        .collect::<Vec<SupervisionRow>>();
    if let Some(format) = q.format.as_deref() {
        let table = Table {
            title: "督办清单".into(),
            note: format!(
                "{}{}，导出于 {}",
                if mine {
                    "本级督办".to_owned()
                } else {
                    wanted.as_deref().map_or("全部", state_label).to_owned()
                },
                if rows.len() >= crate::orders::supervision::MAX_LINES {
                    format!("（仅最近的 {} 件）", rows.len())
                } else {
                    String::new()
                },
                when(&state.now())
            ),
            header: SUPERVISION_COLUMNS.map(str::to_owned).to_vec(),
            rows: rows
                .iter()
                .map(|r| {
                    [
                        &r.number,
                        &r.title,
                        &r.unit,
                        r.level,
                        r.state,
                        &r.overseer,
                        &r.deadline,
                    ]
                    .map(|c| Cell::from(c.to_string()))
                    .to_vec()
                })
                .collect(),
        };
        let stem = format!("supervision-{}", state.today());
        return download(
            &state,
            &user,
            &addr,
            "supervision.export",
            &table,
            format,
            &stem,
        )
        .await;
    }
    SupervisionPage {
        me: Some(shell(&state, &org, &user)),
        rows,
        state: wanted.unwrap_or_default(),
        mine,
    }
    .into_response()
}

pub(super) struct HotspotRow {
    topic: String,
    region: String,
    count: u64,
    baseline: String,
    orders: Vec<i64>,
}

#[derive(Template, WebTemplate)]
#[template(path = "hotspots.html")]
pub(super) struct HotspotsPage {
    me: Option<Shell>,
    day: String,
    rows: Vec<HotspotRow>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct DayQuery {
    day: Option<String>,
}

pub(super) async fn hotspots_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<DayQuery>,
) -> Response {
    if !user.viewer.grants(Capability::ReadReports) {
        return refused("您的角色不查看热点预警。");
    }
    let today = state.today();
    let day = q
        .day
        .as_deref()
        .and_then(|d| crate::dates::day("day", d).ok())
        .unwrap_or(today);
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let regions = match state.regions().await {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let (rows, error) = match crate::reports::hotspots_for(&state, &user.viewer, day).await {
        Ok(w) => (
            w.into_iter()
                .map(|w| HotspotRow {
                    region: region_label(&regions, &w.region),
                    topic: w.topic,
                    count: w.count,
                    baseline: format!("{:.1}", w.baseline_mean),
                    orders: w.orders,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(labels::error(e.code).to_owned())),
    };
    HotspotsPage {
        me: Some(shell(&state, &org, &user)),
        day: day.to_string(),
        rows,
        error,
    }
    .into_response()
}

pub(super) struct SummonsRow {
    unit: String,
    name: String,
    triggers: Vec<(String, Vec<i64>)>,
    acted: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "summons.html")]
pub(super) struct SummonsPage {
    me: Option<Shell>,
    /// The viewer records what was done about a summons (supervisors, admins).
    may_record: bool,
    csrf: String,
    message: Option<String>,
    /// Whether the viewer can open the orders (an installation admin cannot).
    link_orders: bool,
    month: String,
    rows: Vec<SummonsRow>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct MonthQuery {
    month: Option<String>,
}

pub(super) async fn summons_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<MonthQuery>,
) -> Response {
    let month = q
        .month
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| state.today().format("%Y-%m").to_string());
    summons_view(&state, &user, month, None, None).await
}

#[derive(Deserialize)]
pub(super) struct ActedForm {
    csrf: String,
    month: String,
    unit: String,
    note: String,
}

/// The form beside a unit on the summons list: what the authority did (约谈记录).
pub(super) async fn summons_acted(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(f): Form<ActedForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let month = f.month.clone();
    let body = crate::reports::summons::ActedBody {
        month: f.month,
        unit: f.unit,
        note: f.note,
    };
    match crate::reports::summons::record_acted(&state, &user.viewer, &addr, body).await {
        Ok(()) => {
            summons_view(
                &state,
                &user,
                month,
                Some("已记录约谈处理情况。".into()),
                None,
            )
            .await
        }
        Err(e) if e.code == "forbidden" => refused("您的角色不记录约谈处理情况。"),
        Err(e) => {
            let page = summons_view(&state, &user, month, None, Some(form_error(&e))).await;
            (e.status, page).into_response()
        }
    }
}

async fn summons_view(
    state: &AppState,
    user: &ConsoleUser,
    month: String,
    message: Option<String>,
    refused_with: Option<String>,
) -> Response {
    let state = state.clone();
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let (rows, error) =
        match crate::reports::summons::summons_for(&state, &user.viewer, &month).await {
            Ok(lines) => (
                lines
                    .into_iter()
                    .map(|l| SummonsRow {
                        unit: l.unit,
                        name: l.name,
                        triggers: l
                            .triggers
                            .into_iter()
                            .map(|t| (t.description, t.orders))
                            .collect(),
                        acted: l
                            .acted
                            .map(|a| format!("{} 于 {} 记录：{}", a.by, when(&a.at), a.note)),
                    })
                    .collect(),
                None,
            ),
            Err(e) if e.code == "forbidden" => {
                return refused("您的角色不查看约谈清单。");
            }
            Err(e) => (Vec::new(), Some(form_error(&e))),
        };
    SummonsPage {
        me: Some(shell(&state, &org, user)),
        may_record: user.viewer.grants(Capability::RecordSummons),
        csrf: csrf_token(&state, &user.token),
        message,
        error: refused_with.or(error),
        link_orders: user.viewer.scope(&org).is_some(),
        month,
        rows,
    }
    .into_response()
}

/// A region code as people read it: the name of the hotline or district government
/// that serves it, with the code.
/// A region as its official division name with its code (`锦江区（510104）`): the
/// same every time, whatever units share the region.
fn region_label(regions: &hotline_domain::regions::Regions, code: &str) -> String {
    match regions.get(code) {
        Some(r) => format!("{}（{code}）", r.name),
        None => code.to_owned(),
    }
}

/// A report's breakdowns with their labels: (section title, [(label, count)]).
type Sections = Vec<(&'static str, Vec<(String, u64)>)>;

fn labelled(
    org: &Org,
    regions: &hotline_domain::regions::Regions,
    r: &crate::reports::PeriodReport,
) -> Sections {
    let rows = |v: &[crate::reports::Count], f: &dyn Fn(&str) -> String| {
        v.iter().map(|c| (f(&c.key), c.count)).collect::<Vec<_>>()
    };
    vec![
        (
            "来源渠道",
            rows(&r.by_channel, &|k| labels::channel(k).to_owned()),
        ),
        (
            "诉求类型",
            rows(&r.by_kind, &|k| labels::kind(k).to_owned()),
        ),
        (
            "诉求领域",
            rows(&r.by_domain, &|k| {
                if k.is_empty() {
                    "（未分类）".to_owned()
                } else {
                    hotline_domain::taxonomy::top_name(k).to_owned()
                }
            }),
        ),
        (
            "行政区划",
            rows(&r.by_region, &|k| region_label(regions, k)),
        ),
        ("承办单位", rows(&r.by_unit, &|k| unit_name(org, Some(k)))),
        ("热点话题", rows(&r.top_issues, &|k| k.to_owned())),
    ]
}

#[derive(Template, WebTemplate)]
#[template(path = "report_period.html")]
pub(super) struct PeriodPage {
    me: Option<Shell>,
    period: &'static str,
    date: String,
    from: String,
    to: String,
    total: u64,
    sections: Sections,
    deadline: String,
    satisfaction: String,
    reply_review: String,
    /// 环比 and 同比 in words.
    comparison: String,
    /// The figures for the charts, as JSON with `<` escaped (a data block, not a script).
    chart_data: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct PeriodQuery {
    period: Option<String>,
    date: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

pub(super) async fn period_page(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Query(q): Query<PeriodQuery>,
) -> Response {
    use crate::reports::{Period, range_report};
    if !user.viewer.grants(Capability::ReadReports) {
        return refused("您的角色不查看统计报表。");
    }
    let period = match q.period.as_deref() {
        Some("day") => Period::Day,
        Some("week") => Period::Week,
        Some("quarter") => Period::Quarter,
        Some("year") => Period::Year,
        Some("range") => Period::Range,
        _ => Period::Month,
    };
    let range = match (q.from.as_deref(), q.to.as_deref()) {
        (Some(from), Some(to)) => crate::dates::day("from", from)
            .ok()
            .zip(crate::dates::day("to", to).ok()),
        _ => None,
    };
    let today = state.today();
    let date = q
        .date
        .as_deref()
        .and_then(|d| crate::dates::day("date", d).ok())
        .unwrap_or(today);
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let days = match period.days(date, range) {
        Ok(d) => d,
        Err(e) => return refusal(e.status, &form_error(&e)),
    };
    let report = match range_report(&state, &user.viewer, period, days).await {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let regions = match state.regions().await {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let sections = labelled(&org, &regions, &report);
    if let Some(format) = q.format.as_deref() {
        let table = report_table(&report, &sections);
        let stem = format!("report-{}-{}", report.from, report.to);
        return download(&state, &user, &addr, "report.export", &table, format, &stem).await;
    }
    let chart = serde_json::json!({
        "sections": sections.iter().map(|(t, rows)| serde_json::json!({"title": t, "rows": rows})).collect::<Vec<_>>(),
        "satisfaction": [
            ["满意", report.satisfaction.satisfied],
            ["基本满意", report.satisfaction.fairly_satisfied],
            ["不满意", report.satisfaction.dissatisfied],
        ],
        "trend": report.trend.iter().map(|p| serde_json::json!([p.date, p.count])).collect::<Vec<_>>(),
    });
    PeriodPage {
        me: Some(shell(&state, &org, &user)),
        period: match period {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
            Period::Range => "range",
        },
        comparison: comparison_sentence(&report.comparison),
        date: date.to_string(),
        from: report.from.to_string(),
        to: report.to.to_string(),
        total: report.total,
        deadline: format!(
            "到期 {} 件，按时办结 {} 件，超期 {} 件，按时办结率 {}",
            report.deadline.due,
            report.deadline.on_time,
            report.deadline.late,
            percent(report.deadline.rate)
        ),
        satisfaction: format!(
            "评价 {} 件：满意 {}，基本满意 {}，不满意 {}，满意率 {}",
            report.satisfaction.evaluations,
            report.satisfaction.satisfied,
            report.satisfaction.fairly_satisfied,
            report.satisfaction.dissatisfied,
            percent(report.satisfaction.rate)
        ),
        reply_review: format!(
            "审核答复 {} 件：通过 {}，退回重办 {}，通过率 {}",
            report.reply_review.reviewed,
            report.reply_review.approved,
            report.reply_review.rejected,
            percent(report.reply_review.rate)
        ),
        chart_data: chart.to_string().replace('<', "\\u003c"),
        sections,
        error: None,
    }
    .into_response()
}

fn change_words(change: Option<f64>) -> String {
    match change {
        Some(c) if c > 0.0 => format!("增长 {:.1}%", c * 100.0),
        Some(c) if c < 0.0 => format!("下降 {:.1}%", -c * 100.0),
        Some(_) => "持平".into(),
        None => "无可比数据".into(),
    }
}

fn comparison_sentence(c: &crate::reports::Comparison) -> String {
    format!(
        "环比（上一同长周期 {} 件）{}；同比（去年同期 {} 件）{}",
        c.previous,
        change_words(c.change_from_previous),
        c.last_year,
        change_words(c.change_from_last_year)
    )
}

/// The same figures as the page, as a table: one row per figure.
fn report_table(r: &crate::reports::PeriodReport, sections: &Sections) -> Table {
    let row = |a: &str, b: &str, c: Cell| vec![Cell::from(a), Cell::from(b), c];
    let c = &r.comparison;
    let mut rows = vec![
        row("受理总量", "", Cell::Count(r.total)),
        row("受理总量", "上一同长周期（环比）", Cell::Count(c.previous)),
        row("受理总量", "环比增减", Cell::Rate(c.change_from_previous)),
        row("受理总量", "去年同期（同比）", Cell::Count(c.last_year)),
        row("受理总量", "同比增减", Cell::Rate(c.change_from_last_year)),
    ];
    rows.extend(
        r.trend
            .iter()
            .map(|p| row("每日受理", &p.date, Cell::Count(p.count))),
    );
    for (title, items) in sections {
        rows.extend(
            items
                .iter()
                .map(|(label, n)| row(title, label, Cell::Count(*n))),
        );
    }
    let d = &r.deadline;
    rows.extend([
        row("办理时限", "到期", Cell::Count(d.due)),
        row("办理时限", "按时办结", Cell::Count(d.on_time)),
        row("办理时限", "超期", Cell::Count(d.late)),
        row("办理时限", "按时办结率", Cell::Rate(d.rate)),
    ]);
    let s = &r.satisfaction;
    rows.extend([
        row("满意度", "评价", Cell::Count(s.evaluations)),
        row("满意度", "满意", Cell::Count(s.satisfied)),
        row("满意度", "基本满意", Cell::Count(s.fairly_satisfied)),
        row("满意度", "不满意", Cell::Count(s.dissatisfied)),
        row("满意度", "满意率", Cell::Rate(s.rate)),
    ]);
    let v = &r.reply_review;
    rows.extend([
        row("答复审核", "审核", Cell::Count(v.reviewed)),
        row("答复审核", "通过", Cell::Count(v.approved)),
        row("答复审核", "退回重办", Cell::Count(v.rejected)),
        row("答复审核", "通过率", Cell::Rate(v.rate)),
    ]);
    Table {
        title: "12345热线统计报表".into(),
        note: format!("统计期间：{} 至 {}", r.from, r.to),
        header: ["项目", "分类", "数量"].map(str::to_owned).to_vec(),
        rows,
    }
}

pub(super) async fn echarts() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../../../static/vendor/echarts-5.6.0.min.js"),
    )
}
