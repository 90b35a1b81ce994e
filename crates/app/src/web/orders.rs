//! The order list, the order page and its action forms.

use super::*;
use crate::error::ApiResult;
use crate::orders::{
    ActionInput, AnswerBody, CallbackBody, ContentBody, DispatchBody, ExtensionBody, MergeBody,
    NoteBody, NoteOptBody, OrderRef, ReasonBody, ReplyBody, TriageBody, order_id, perform_input,
};
use axum::http::StatusCode;
use hotline_domain::{ActionName, CallbackResult, Kind, OrderId, RegionCode, TriageRoute};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/orders", get(orders_page))
        .route("/console/orders/batch", post(batch_act))
        .route("/console/orders/{id}", get(order_page))
        .route("/console/orders/{id}/act", post(order_act))
        .route("/console/orders/{id}/print", get(print_page))
        .route(
            "/console/orders/{id}/attachments",
            post(attach).layer(crate::attachments::upload_limit()),
        )
        .route("/console/attachments/{id}", get(attachment_file))
}

pub(super) struct Row {
    id: i64,
    number: String,
    kind: &'static str,
    title: String,
    status: &'static str,
    /// A pending extension request: days and reason (the 延期待批 queue's point).
    extension: String,
    unit: String,
    deadline: String,
    sla: &'static str,
    sla_class: &'static str,
    /// The current callback or evaluation, if any.
    evaluation: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "orders.html")]
pub(super) struct OrdersPage {
    me: Option<Shell>,
    rows: Vec<Row>,
    statuses: Vec<Choice>,
    slas: Vec<Choice>,
    evaluations: Vec<Choice>,
    /// Only enterprises' requests (涉企诉求).
    enterprise_only: bool,
    /// The queue the list is, kept when the form filters it further.
    queue: String,
    q: String,
    /// Each queue: its address, its name and how many orders wait in it.
    queues: Vec<(&'static str, &'static str, String)>,
    sort_deadline: bool,
    kinds: Vec<Choice>,
    domains: Vec<DynChoice>,
    unit: String,
    region: String,
    from: String,
    to: String,
    next_page: Option<String>,
    /// The batch actions this viewer may take on ticked rows (none: no tick boxes).
    batch: Vec<(&'static str, &'static str)>,
    csrf: String,
    /// This list's address, to come back to after a batch.
    back: String,
}

#[derive(Deserialize)]
pub(super) struct OrdersQuery {
    status: Option<String>,
    sla: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    extension: Option<String>,
    sort: Option<String>,
    kind: Option<String>,
    domain: Option<String>,
    unit: Option<String>,
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    queue: Option<String>,
    evaluation: Option<String>,
    /// `enterprise`: the requests of enterprises only (涉企诉求).
    requester: Option<String>,
    /// `sub_units`: the orders of the units below the viewer's (二级派单).
    scope: Option<String>,
    format: Option<String>,
}

/// Rows an export of a list holds at most; a longer list is refused, to be narrowed.
const MAX_EXPORT_ROWS: usize = 10_000;

const EXPORT_COLUMNS: [&str; 13] = [
    "工单编号",
    "登记时间",
    "来源渠道",
    "诉求类型",
    "诉求领域",
    "行政区划",
    "标题",
    "状态",
    "承办单位",
    "办理时限",
    "时限状态",
    "催办次数",
    "回访结果",
];

/// Every order the list's filters find (not only the page shown), newest first, as a
/// table; no requester's name or number goes in it.
async fn list_table(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    mut params: ListParams,
    covers: String,
) -> ApiResult<crate::spreadsheet::Table> {
    use crate::spreadsheet::Cell;
    let taxonomy = state.taxonomy().await?;
    // The deadline order has no cursor: an export walks the whole list newest first,
    // from its start.
    params.sort = None;
    params.cursor = None;
    params.limit = Some(200);
    let mut rows = Vec::new();
    loop {
        let page = list_for(state, viewer, params.clone()).await?;
        for v in &page.items {
            rows.push(vec![
                Cell::from(v.number.clone()),
                Cell::from(when(&v.registered_at)),
                Cell::from(labels::channel(v.channel.as_str())),
                Cell::from(labels::kind(v.kind.as_str())),
                Cell::from(domain_name(&taxonomy, v.domain.as_ref())),
                Cell::from(format!("{}（{}）", v.region_name, v.region)),
                Cell::from(v.title.clone()),
                Cell::from(labels::status(v.status.as_str())),
                Cell::from(unit_name(org, v.unit.as_ref().map(|u| u.as_str()))),
                Cell::from(opt_when(&v.deadline)),
                Cell::from(sla_of(v).0),
                Cell::Count(u64::from(v.reminders)),
                Cell::from(
                    v.evaluation
                        .as_ref()
                        .map_or_else(String::new, labels::evaluation),
                ),
            ]);
        }
        if rows.len() > MAX_EXPORT_ROWS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "too_many_rows",
                format!("more than {MAX_EXPORT_ROWS} orders: narrow the filters"),
            ));
        }
        match page.next_cursor {
            Some(c) => params.cursor = Some(c),
            None => break,
        }
    }
    Ok(crate::spreadsheet::Table {
        title: "工单清单".into(),
        note: covers,
        header: EXPORT_COLUMNS.map(str::to_owned).to_vec(),
        rows,
    })
}

/// What an export covers, in words, with when it was made: the filters the list
/// applied (a value it could not read is no filter), the search words only as "关键词"
/// (they may name a person, and the note goes into the audit trail).
fn filters_in_words(p: &ListParams, now: &Timestamp) -> String {
    let mut said = Vec::new();
    if let Some(s) = p.status {
        said.push(format!("状态：{}", labels::status(s.as_str())));
    }
    if let Some(s) = p.sla {
        said.push(format!("时限：{}", labels::sla(s.as_str())));
    }
    if let Some(k) = p.kind {
        said.push(format!("类型：{}", labels::kind(k.as_str())));
    }
    if let Some(r) = p.evaluation {
        said.push(format!("回访结果：{}", labels::callback_result(r)));
    }
    for (name, v) in [
        ("领域", &p.domain),
        ("承办单位", &p.unit),
        ("区划", &p.region),
        ("登记自", &p.from),
        ("登记至", &p.to),
    ] {
        if let Some(v) = v {
            said.push(format!("{name}：{v}"));
        }
    }
    if p.extension.is_some() {
        said.push("延期待批".into());
    }
    if p.queue.is_some() {
        said.push("待回访".into());
    }
    if p.q.is_some() {
        said.push("按关键词检索（至多 2000 件）".into());
    }
    let which = if said.is_empty() {
        "全部可见工单".to_owned()
    } else {
        format!("筛选条件：{}", said.join("，"))
    };
    format!("{which}；导出于 {}", when(now))
}

/// The roles that call requesters back (the lifecycle's rule for `callback`).
const CALLERS_BACK: [hotline_domain::Role; 3] = [
    hotline_domain::Role::Operator,
    hotline_domain::Role::VendorOperator,
    hotline_domain::Role::Dispatcher,
];

/// The batch actions a viewer's roles may take from a list: the lifecycle still
/// decides each order.
fn batch_actions(org: &Org, v: &Viewer) -> Vec<(&'static str, &'static str)> {
    use hotline_domain::Role::*;
    let mut out = Vec::new();
    let staff = v.staff_hotline(org).is_some();
    if staff && (v.has(Operator) || v.has(Dispatcher)) {
        out.push(("dispatch", "派单给同一单位"));
    }
    if v.grants(Capability::HandleOrders) {
        out.push(("accept", "签收"));
    }
    if staff && v.user.roles.iter().any(|r| CALLERS_BACK.contains(r)) {
        out.push(("callback", "回访：无法联系"));
    }
    if staff && (v.has(Dispatcher) || v.has(Supervisor)) {
        out.push(("urge", "催办"));
    }
    out
}

/// The work queues of a role, as links to filtered lists.
pub(super) fn queues(org: &Org, v: &Viewer) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    if v.staff_hotline(org).is_some() {
        out.extend([
            ("/console/orders?status=registered", "待派单"),
            ("/console/orders?status=return_requested", "退单待审"),
            ("/console/orders?extension=pending", "延期待批"),
        ]);
        if v.has(hotline_domain::Role::Dispatcher) {
            out.push(("/console/orders?status=escalation_requested", "提级待审"));
        }
        if v.user.roles.iter().any(|r| CALLERS_BACK.contains(r)) {
            out.push(("/console/orders?queue=callback", "待回访"));
        }
        if v.has(hotline_domain::Role::Dispatcher) || v.has(hotline_domain::Role::Supervisor) {
            out.push(("/console/orders?queue=review", "待审核答复"));
        }
        out.push(("/console/orders?evaluation=dissatisfied", "不满意"));
    } else if v.grants(Capability::HandleOrders) {
        out.extend([
            ("/console/orders?status=dispatched", "待签收"),
            ("/console/orders?status=in_progress", "办理中"),
        ]);
        if !v.sub_units(org).is_empty() {
            out.push(("/console/orders?scope=sub_units", "下级单位工单"));
        }
    }
    out.extend([
        ("/console/orders?sla=due_soon&sort=deadline", "即将到期"),
        ("/console/orders?sla=overdue&sort=deadline", "已超期"),
        ("/console/orders", "全部"),
    ]);
    out
}

pub(super) fn sla_of(v: &OrderView) -> (&'static str, &'static str) {
    match v.sla {
        Some(s) => (labels::sla(s.as_str()), s.as_str()),
        None => ("—", "none"),
    }
}

pub(super) async fn orders_page(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Query(q): Query<OrdersQuery>,
) -> Response {
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let nonempty = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
    let mut params = params_of(&q);
    // The unit filter takes a name as the pickers do (住建 → cd-zj).
    if let Some(u) = params.unit.as_deref()
        && let Ok(code) = org.resolve_within(u, None)
    {
        params.unit = Some(code.to_string());
    }
    if let Some(format) = nonempty(&q.format) {
        let covers = filters_in_words(&params, &state.now());
        return match list_table(&state, &user.viewer, &org, params, covers).await {
            Ok(table) => {
                let stem = format!("orders-{}", state.today());
                download(
                    &state,
                    &user,
                    &addr,
                    "orders.export",
                    &table,
                    &format,
                    &stem,
                )
                .await
            }
            Err(e) if e.code == "too_many_rows" => refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("符合条件的工单超过 {MAX_EXPORT_ROWS} 件，请缩小筛选范围后再导出。"),
            ),
            Err(e) => page_error(e),
        };
    }
    let page = match list_for(&state, &user.viewer, params).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let rows = page
        .items
        .iter()
        .map(|v| {
            let (sla, sla_class) = sla_of(v);
            Row {
                id: v.id.get(),
                number: v.number.clone(),
                kind: labels::kind(v.kind.as_str()),
                title: v.title.clone(),
                status: labels::status(v.status.as_str()),
                extension: v
                    .extension
                    .as_ref()
                    .map(|x| format!("申请延期 {} 个工作日：{}", x.days, x.reason))
                    .unwrap_or_default(),
                unit: unit_name(&org, v.unit.as_ref().map(|u| u.as_str())),
                deadline: opt_when(&v.deadline),
                sla,
                sla_class,
                evaluation: v
                    .evaluation
                    .as_ref()
                    .map_or_else(String::new, labels::evaluation),
            }
        })
        .collect();
    let next_page = page
        .next_cursor
        .map(|c| list_address(&q, &[("cursor", &c)]));
    let taxonomy = match state.taxonomy().await {
        Ok(t) => t,
        Err(e) => return page_error(e),
    };
    let mut domains: Vec<DynChoice> = Vec::new();
    for c in taxonomy.iter() {
        if !domains.iter().any(|d| d.value == c.path.top()) {
            let top = c.path.top().to_owned();
            domains.push(DynChoice {
                selected: q.domain.as_deref() == Some(top.as_str()),
                value: top,
                label: c.top_name.clone(),
            });
        }
        let value = c.path.to_string();
        domains.push(DynChoice {
            selected: q.domain.as_deref() == Some(value.as_str()),
            value,
            label: format!("　{}", c.name),
        });
    }
    OrdersPage {
        me: Some(shell(&state, &org, &user)),
        rows,
        statuses: choices(
            hotline_domain::Status::ALL.iter().map(|s| s.as_str()),
            labels::status,
            &q.status,
        ),
        slas: choices(
            ["on_track", "due_soon", "overdue"].into_iter(),
            labels::sla,
            &q.sla,
        ),
        evaluations: choices(
            CallbackResult::ALL.iter().map(|r| r.as_str()),
            |r| CallbackResult::parse(r).map_or("", labels::callback_result),
            &q.evaluation,
        ),
        enterprise_only: q.requester.as_deref() == Some("enterprise"),
        queue: nonempty(&q.queue).unwrap_or_default(),
        q: q.q.clone().unwrap_or_default(),
        queues: match queue_counts(&state, &org, &user.viewer).await {
            Ok(q) => q,
            Err(e) => return page_error(e),
        },
        sort_deadline: q.sort.as_deref() == Some("deadline"),
        kinds: choices(
            hotline_domain::Kind::ALL.iter().map(|k| k.as_str()),
            labels::kind,
            &q.kind,
        ),
        domains,
        unit: q.unit.clone().unwrap_or_default(),
        region: q.region.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
        next_page,
        batch: batch_actions(&org, &user.viewer),
        csrf: csrf_token(&state, &user.token),
        back: list_address(&q, &[]),
    }
    .into_response()
}

/// The list's filters as the use case's: a value the form cannot have sent is no
/// filter.
fn params_of(q: &OrdersQuery) -> ListParams {
    let nonempty = |s: &Option<String>| s.clone().filter(|v| !v.is_empty());
    ListParams {
        status: nonempty(&q.status).and_then(|s| hotline_domain::Status::parse(&s).ok()),
        sla: nonempty(&q.sla)
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
        q: nonempty(&q.q),
        cursor: nonempty(&q.cursor),
        extension: nonempty(&q.extension),
        sort: nonempty(&q.sort),
        kind: nonempty(&q.kind).and_then(|k| hotline_domain::Kind::parse(&k).ok()),
        domain: nonempty(&q.domain),
        unit: nonempty(&q.unit),
        region: nonempty(&q.region),
        from: nonempty(&q.from),
        to: nonempty(&q.to),
        queue: nonempty(&q.queue)
            .and_then(|s| serde_json::from_value(serde_json::Value::String(s)).ok()),
        evaluation: nonempty(&q.evaluation).and_then(|s| CallbackResult::parse(&s).ok()),
        requester: nonempty(&q.requester).filter(|r| r == "enterprise"),
        scope: nonempty(&q.scope).filter(|s| s == "sub_units"),
        limit: Some(50),
        ..ListParams::default()
    }
}

/// Each work queue of the viewer with how many orders wait in it (up to
/// [`crate::notifications::CAP`]; "全部" is not counted).
pub(super) async fn queue_counts(
    state: &AppState,
    org: &Org,
    v: &Viewer,
) -> ApiResult<Vec<(&'static str, &'static str, String)>> {
    let mut out = Vec::new();
    for (href, label) in queues(org, v) {
        let query = href.split_once('?').map_or("", |(_, q)| q);
        let count = if query.is_empty() {
            String::new()
        } else {
            let q: OrdersQuery = serde_urlencoded::from_str(query).map_err(ApiError::internal)?;
            let mut params = params_of(&q);
            params.limit = None;
            let cap = crate::notifications::CAP;
            match crate::orders::count_for(state, v, params, cap).await? {
                n if n >= u64::from(cap) => format!("{}+", cap - 1),
                n => n.to_string(),
            }
        };
        out.push((href, label, count));
    }
    Ok(out)
}

/// The list's address with its filters (and `extra` pairs before them).
fn list_address(q: &OrdersQuery, extra: &[(&'static str, &str)]) -> String {
    let kept: Vec<String> = extra
        .iter()
        .map(|&(k, v)| (k, Some(v.to_owned())))
        .chain(filters(q))
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(&v)))
        })
        .collect();
    if kept.is_empty() {
        "/console/orders".to_owned()
    } else {
        format!("/console/orders?{}", kept.join("&"))
    }
}

/// The list's filters as query pairs.
fn filters(q: &OrdersQuery) -> impl Iterator<Item = (&'static str, Option<String>)> + '_ {
    [
        ("status", &q.status),
        ("sla", &q.sla),
        ("q", &q.q),
        ("kind", &q.kind),
        ("domain", &q.domain),
        ("unit", &q.unit),
        ("region", &q.region),
        ("from", &q.from),
        ("to", &q.to),
        ("extension", &q.extension),
        ("queue", &q.queue),
        ("evaluation", &q.evaluation),
        ("requester", &q.requester),
        ("scope", &q.scope),
        ("sort", &q.sort),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.clone()))
}

#[derive(Template, WebTemplate)]
#[template(path = "batch_result.html")]
pub(super) struct BatchPage {
    me: Option<Shell>,
    action: &'static str,
    done: usize,
    rows: Vec<BatchLine>,
    back: String,
}

pub(super) struct BatchLine {
    id: i64,
    number: String,
    outcome: String,
    ok: bool,
}

/// A batch from the list's tick boxes: each ticked order gets the chosen action as its
/// own action; the page says what happened to each.
pub(super) async fn batch_act(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let value = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    if !csrf_ok(&state, &user, &value("csrf").unwrap_or_default()) {
        return stale_form();
    }
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let action = value("action").unwrap_or_default();
    let Some(&(_, label)) = batch_actions(&org, &user.viewer)
        .iter()
        .find(|(a, _)| *a == action)
    else {
        return refusal(StatusCode::UNPROCESSABLE_ENTITY, "请选择要执行的批量操作。");
    };
    let ids: Vec<OrderId> = pairs
        .iter()
        .filter(|(k, _)| k == "order")
        .filter_map(|(_, v)| v.parse::<i64>().ok().map(OrderId::new))
        .collect();
    if ids.is_empty() {
        return refusal(StatusCode::UNPROCESSABLE_ENTITY, "请先勾选工单。");
    }
    let form = ActForm {
        csrf: String::new(),
        action: action.clone(),
        unit: value("unit"),
        note: value("note"),
        result: (action == "callback").then(|| "unreachable".to_owned()),
        ..ActForm::default()
    };
    let outcomes = match action_input(&form) {
        Ok(input) => {
            crate::orders::batch::perform_batch(&state, &user.viewer, &addr, &ids, input).await
        }
        Err(e) => Err(e),
    };
    let outcomes = match outcomes {
        Ok(o) => o,
        Err(e) => return refusal(StatusCode::UNPROCESSABLE_ENTITY, &form_error(&e)),
    };
    let back = value("back")
        .filter(|b| b.starts_with("/console/orders") && !b.contains("//"))
        .unwrap_or_else(|| "/console/orders".to_owned());
    let rows: Vec<BatchLine> = outcomes
        .into_iter()
        .map(|o| match o.result {
            Ok(view) => BatchLine {
                id: o.id.get(),
                number: view.number,
                outcome: format!(
                    "已{label}，现为「{}」",
                    labels::status(view.status.as_str())
                ),
                ok: true,
            },
            Err(e) => BatchLine {
                id: o.id.get(),
                number: format!("#{}", o.id.get()),
                outcome: form_error(&e),
                ok: false,
            },
        })
        .collect();
    BatchPage {
        me: Some(shell(&state, &org, &user)),
        action: label,
        done: rows.iter().filter(|r| r.ok).count(),
        rows,
        back,
    }
    .into_response()
}

pub(super) struct Detail {
    id: i64,
    /// The owning hotline's name (the 交办单's letterhead).
    hotline: String,
    number: String,
    tracking_code: Option<String>,
    status: &'static str,
    kind: &'static str,
    channel: &'static str,
    domain: String,
    region: String,
    title: String,
    content: String,
    address: String,
    urgent: bool,
    confidential: bool,
    registered_at: String,
    unit: String,
    deadline: String,
    sla: &'static str,
    sla_class: &'static str,
    requester_hidden: bool,
    /// A whistleblower's report or a confidential order: the requester never goes to
    /// a unit, on any sheet, whoever prints it.
    hides_requester: bool,
    requester_name: String,
    requester_phone: String,
    requester_address: String,
    /// The enterprise the requester speaks for: `名称（统一社会信用代码）`.
    requester_enterprise: Option<String>,
    reply: Option<String>,
    /// The reply waits for the hotline's review before the callback.
    reply_review: bool,
    evaluation: Option<String>,
    /// The direct answer (即时办结), and the knowledge article it cited.
    answer: Option<String>,
    article_id: Option<i64>,
    /// The cited article's title.
    article_title: Option<String>,
    links: Vec<LinkLine>,
    /// What the API knows beyond the basics: co-units, the accept deadline, the
    /// pending extension, the triage route, reopens, and how the deadline went.
    co_units: String,
    accept_deadline: Option<String>,
    extension: Option<String>,
    route: Option<&'static str>,
    reopens: u32,
    /// `剩余 3 个工作日`, `今日到期`, `已超期`, or how a replied order kept it.
    deadline_note: Option<String>,
    /// The deadline runs into a year whose official calendar is not loaded.
    calendar_incomplete: bool,
    /// 提级办理: the hotlines the order came up from, and a request waiting above.
    escalated_from: Option<String>,
    /// The latest interim reply (阶段性答复), with its planned day.
    interim: Option<String>,
    /// The second-level dispatch (二级派单): to whom, by when, where it stands, and
    /// the sub-unit's reply.
    forward: Option<(String, Option<String>)>,
    /// A unit's pending request to correct the kind, for the dispatcher to decide.
    correction_request: Option<String>,
    handling_escalation: Option<String>,
}

/// A linked order as the order page lists it: number, title, date and why.
pub(super) struct LinkLine {
    id: i64,
    number: String,
    title: String,
    date: String,
    reason: String,
}

/// The orders this one is linked to (merged into, merged into it, possible
/// duplicates), as far as the viewer is shown them. A possible duplicate found by the
/// address alone is listed only if it is about the same matter (the same domain or a
/// topic of the title in common): other requests at a busy address are no repeat
/// calls. The phone is named as the reason only to someone who sees both requesters.
async fn link_lines(
    state: &AppState,
    v: &Viewer,
    org: &Org,
    this: &hotline_domain::Order,
    view: &OrderView,
) -> ApiResult<Vec<LinkLine>> {
    let ids: Vec<hotline_domain::OrderId> = view
        .merged_into
        .iter()
        .chain(&view.merged)
        .chain(&view.possible_duplicates)
        .copied()
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let others = state.store().orders_by_ids(&ids).await?;
    let topics = crate::reports::topics(&this.title);
    let mut out = Vec::new();
    for id in ids {
        let Some(o) = others.iter().find(|o| o.id == id) else {
            continue;
        };
        let reason = if view.merged_into == Some(id) {
            "本单已并入该工单".to_owned()
        } else if view.merged.contains(&id) {
            "已并入本单的重复件".to_owned()
        } else {
            match duplicate_reason(v, org, this, o, &topics) {
                Some(r) => r,
                None => continue,
            }
        };
        out.push(LinkLine {
            id: o.id.get(),
            number: o.number.to_string(),
            title: o.title.clone(),
            date: when(&o.registered_at),
            reason,
        });
    }
    Ok(out)
}

/// Why `other` may repeat `this`, or none if a shared address is all they have.
fn duplicate_reason(
    v: &Viewer,
    org: &Org,
    this: &hotline_domain::Order,
    other: &hotline_domain::Order,
    topics: &[String],
) -> Option<String> {
    let same_phone = this.requester.phone.is_some()
        && this.requester.phone == other.requester.phone
        && v.sees_identity(org, this)
        && v.sees_identity(org, other);
    let key = |o: &hotline_domain::Order| o.address.as_deref().and_then(crate::orders::address_key);
    let same_address = key(this).is_some() && key(this) == key(other);
    let same_matter = (this.domain.is_some() && this.domain == other.domain)
        || crate::reports::topics(&other.title)
            .iter()
            .any(|t| topics.contains(t));
    let mut reasons = Vec::new();
    if same_phone {
        reasons.push("同一来电号码");
    }
    if same_address && (same_phone || same_matter) {
        reasons.push("同一事发地址且诉求相近");
    }
    if reasons.is_empty() && same_matter && !same_address {
        // Linked by a phone the viewer may not be told of: the matter is the reason.
        reasons.push("诉求相近");
    }
    (!reasons.is_empty()).then(|| reasons.join("，"))
}

pub(super) struct EventLine {
    at: String,
    label: &'static str,
    actor: String,
    unit: String,
    note: String,
}

/// One action form: which inputs it needs.
pub(super) struct ActionForm {
    id: usize,
    name: &'static str,
    label: &'static str,
    unit: bool,
    route: bool,
    result: bool,
    days: bool,
    /// The day an interim reply expects the matter finished.
    planned: bool,
    /// A correction's fields (kind, domain, region, street, address).
    correct: bool,
    /// The kind a unit asks the order corrected to.
    kind: bool,
    /// A second-level dispatch's sub-unit and deadline.
    forward: bool,
    into: bool,
    text: bool,
    text_field: &'static str,
    text_label: &'static str,
    text_required: bool,
    resolved: bool,
    /// The form the user sent and the action refused: shown open, as it was filled in.
    open: bool,
    typed: Typed,
}

/// What a refused action's form held, to show it again.
#[derive(Default)]
pub(super) struct Typed {
    unit: String,
    co_units: String,
    days: String,
    planned: String,
    into: String,
    text: String,
    resolved: bool,
}

pub(super) fn action_form(id: usize, name: ActionName) -> ActionForm {
    use ActionName as A;
    let (text_field, text_label, text_required) = match name {
        A::Answer | A::Reply => ("content", "答复内容", true),
        A::InterimReply => ("content", "阶段性答复内容（办理进展和计划）", true),
        A::Note => ("content", "备注内容", true),
        A::Return
        | A::Reopen
        | A::RevealPhone
        | A::RequestExtension
        | A::RejectReply
        | A::EscalateHandling
        | A::DeclineEscalation
        | A::TakeOver
        | A::LineTakeOver
        | A::Correct
        | A::RequestCorrection
        | A::ReturnForward => ("reason", "理由", true),
        A::ReplyForward => ("content", "答复上级单位的内容", true),
        A::Triage | A::Urge | A::Supervise | A::Escalate => ("note", "说明", true),
        A::Accept | A::Close | A::Merge => ("", "", false),
        A::Dispatch
        | A::ApproveReturn
        | A::RejectReturn
        | A::ApproveExtension
        | A::RejectExtension
        | A::ApproveReply
        | A::Recall
        | A::AcceptEscalation
        | A::ApproveCorrection
        | A::RejectCorrection
        | A::Forward
        | A::RecallForward
        | A::Callback => ("note", "意见（可选）", false),
        A::AcceptForward => ("", "", false),
    };
    ActionForm {
        id,
        name: name.as_str(),
        label: labels::action(name),
        unit: name == A::Dispatch,
        route: name == A::Triage,
        result: name == A::Callback,
        days: name == A::RequestExtension,
        planned: name == A::InterimReply,
        correct: name == A::Correct,
        kind: name == A::RequestCorrection,
        forward: name == A::Forward,
        into: name == A::Merge,
        text: !text_field.is_empty(),
        text_field,
        text_label,
        text_required,
        resolved: matches!(name, A::Reply | A::Callback | A::ReplyForward),
        open: false,
        typed: Typed::default(),
    }
}

/// The action's form, open and filled in as `sent` was if that is the form the user
/// sent and the action refused.
fn refilled(id: usize, name: ActionName, sent: Option<&ActForm>) -> ActionForm {
    let mut form = action_form(id, name);
    let Some(f) = sent.filter(|f| f.action == name.as_str()) else {
        return form;
    };
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    form.open = true;
    form.typed = Typed {
        unit: value(&f.unit),
        co_units: value(&f.co_units),
        days: value(&f.days),
        planned: value(&f.planned_date),
        into: value(&f.into),
        text: match form.text_field {
            "content" => value(&f.content),
            "reason" => value(&f.reason),
            "note" => value(&f.note),
            _ => String::new(),
        },
        resolved: f.resolved.as_deref() == Some("true"),
    };
    form
}

#[derive(Template, WebTemplate)]
#[template(path = "order.html")]
pub(super) struct OrderPage {
    me: Option<Shell>,
    o: Detail,
    /// The attachments the viewer may see, and whether they may add one.
    attachments: Vec<AttachmentLine>,
    may_attach: bool,
    events: Vec<EventLine>,
    actions: Vec<ActionForm>,
    routes: Vec<(&'static str, &'static str)>,
    units: Vec<(String, String)>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
    /// The dispatch catalogue's suggestion, beside the dispatch form.
    suggested: Option<String>,
    /// The user's common phrases (常用语), beside each text box.
    phrases: Vec<String>,
    /// Just registered at intake: the way to the next call.
    next_call: bool,
    /// The taxonomy's categories (path, `领域 / 类别`), for the dispatch of an order
    /// not yet classified: it must name one.
    dispatch_domains: Vec<(String, String)>,
    /// The taxonomy's categories for a correction's domain (empty unless offered).
    correct_domains: Vec<(String, String)>,
    /// The kinds (wire name, label), for a correction.
    kinds: Vec<(&'static str, &'static str)>,
    /// The viewer's sub-units (code, name), for a second-level dispatch.
    sub_units: Vec<(String, String)>,
}

#[derive(Deserialize)]
pub(super) struct OrderQuery {
    done: Option<String>,
    error: Option<String>,
    created: Option<String>,
}

/// Stands for "just registered" until the page knows the number and code to read out.
pub(super) const CREATED: &str = "\u{0}created";

pub(super) async fn order_page(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<String>,
    Query(q): Query<OrderQuery>,
) -> Response {
    let message = match (&q.created, &q.done) {
        (Some(_), _) => Some(CREATED.to_owned()),
        (None, Some(a)) if a == "attach" => Some("附件已上传。".to_owned()),
        (None, Some(a)) => Some(format!(
            "已完成：{}",
            ActionName::parse(a).map_or("操作", labels::action)
        )),
        (None, None) => None,
    };
    let error = q
        .error
        .as_deref()
        .map(|code| labels::error(code).to_owned());
    render_order(&state, &user, &id, message, error, false).await
}

pub(super) async fn render_order(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    message: Option<String>,
    error: Option<String>,
    full_phone: bool,
) -> Response {
    match build_order_page(state, user, id, (message, error), full_phone, None).await {
        Ok(page) => page.into_response(),
        Err(e) => page_error(e),
    }
}

/// The order page again after an action was refused: the error naming the field,
/// and the form open as the user filled it in.
async fn refused_action(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    f: &ActForm,
    e: ApiError,
) -> Response {
    let shown = (None, Some(form_error(&e)));
    match build_order_page(state, user, id, shown, false, Some(f)).await {
        Ok(page) => (e.status, page).into_response(),
        Err(e) => page_error(e),
    }
}

pub(super) async fn build_order_page(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    (message, error): (Option<String>, Option<String>),
    full_phone: bool,
    sent: Option<&ActForm>,
) -> Result<OrderPage, ApiError> {
    let org = state.org().await?;
    let v = &user.viewer;
    let order = visible_order(state, v, &org, order_id(id)?).await?;
    let this = order.clone();
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let ctx = Context {
        now: state.now(),
        rules: &rules,
        calendar: &calendar,
    };
    let mut names = available_actions(&order, &v.actor_for(&org, &order), &ctx);
    // The active units below the viewer's: with none, there is no one to forward to.
    let forward_to: Vec<(String, String)> = v
        .sub_units(&org)
        .into_iter()
        .filter(|c| org.get(c).is_some_and(|u| u.active))
        .map(|c| (c.to_string(), unit_name(&org, Some(c.as_str()))))
        .collect();
    if forward_to.is_empty() {
        names.retain(|n| *n != ActionName::Forward);
    }
    let suggestion = if names.contains(&ActionName::Dispatch) {
        crate::catalogue::suggest_for(
            state,
            &org,
            &order.hotline,
            order.domain.as_ref(),
            &order.region,
        )
        .await?
        .into_iter()
        .next()
    } else {
        None
    };
    let routes = triage_routes(v);
    let events = state.store().events(order.id).await?;
    let view = view_for(state, v, &org, order, Some(events), full_phone).await?;
    let units = if names.contains(&ActionName::Dispatch) {
        let mut u: Vec<(String, String)> = org
            .all()
            .filter(|u| u.active && org.in_dispatch_tree(&view.hotline, &u.code))
            .map(|u| (u.code.to_string(), u.name.clone()))
            .collect();
        u.sort();
        u
    } else {
        Vec::new()
    };
    let next_call = message.as_deref() == Some(CREATED);
    let message = message.map(|m| {
        if m == CREATED {
            let code = view.tracking_code.as_deref().unwrap_or("—");
            format!("登记成功：工单编号 {}，查询码 {code}。请告知诉求人，凭编号和查询码可查询办理进度。", view.number)
        } else {
            m
        }
    });
    let (sla, sla_class) = sla_of(&view);
    let links = link_lines(state, v, &org, &this, &view).await?;
    let events = view
        .events
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|e| EventLine {
            at: when(&e.at),
            label: labels::event(e.kind),
            actor: if e.actor == "system" {
                "系统".to_owned()
            } else {
                e.actor.clone()
            },
            unit: unit_name(&org, e.unit.as_ref().map(|u| u.as_str())),
            note: match labels::event_outcome(e) {
                Some(outcome) if e.note.is_some() => format!("{outcome}。{}", text(&e.note)),
                Some(outcome) => outcome,
                None => text(&e.note),
            },
        })
        .collect();
    let detail = Detail {
        id: view.id.get(),
        hotline: unit_name(&org, Some(view.hotline.as_str())),
        number: view.number.clone(),
        tracking_code: view.tracking_code.clone(),
        status: labels::status(view.status.as_str()),
        kind: labels::kind(view.kind.as_str()),
        channel: labels::channel(view.channel.as_str()),
        domain: domain_name(&state.taxonomy().await?, view.domain.as_ref()),
        region: place_name(&*state.regions().await?, &view),
        title: view.title.clone(),
        content: view.content.clone(),
        address: text(&view.address),
        urgent: view.urgent,
        confidential: view.confidential,
        registered_at: when(&view.registered_at),
        unit: unit_name(&org, view.unit.as_ref().map(|u| u.as_str())),
        deadline: opt_when(&view.deadline),
        sla,
        sla_class,
        requester_hidden: view.requester.hidden,
        hides_requester: this.hides_requester(),
        requester_name: text(&view.requester.name),
        requester_phone: text(&view.requester.phone),
        requester_address: text(&view.requester.address),
        requester_enterprise: view
            .requester
            .enterprise
            .as_ref()
            .map(|e| format!("{}（{}）", e.name, e.credit_code.as_str())),
        reply: view.reply.as_ref().map(|r| r.content.clone()),
        reply_review: view.reply_review,
        evaluation: view.evaluation.as_ref().map(labels::evaluation),
        answer: view.answer.clone(),
        article_id: view.article_id,
        // The title only to whom the article is readable (a handling unit may not be).
        article_title: match view.article_id {
            Some(a) => crate::kb::read_article(state, v, &a.to_string())
                .await
                .ok()
                .map(|a| a.content.title),
            None => None,
        },
        links,
        co_units: view
            .co_units
            .iter()
            .map(|u| unit_name(&org, Some(u.as_str())))
            .collect::<Vec<_>>()
            .join("、"),
        accept_deadline: view.accept_deadline.as_ref().map(when),
        extension: view.extension.as_ref().map(|x| {
            format!(
                "申请延期 {} 个工作日，理由：{}（{} 于 {} 申请，待审批）",
                x.days,
                x.reason,
                x.requested_by,
                when(&x.requested_at)
            )
        }),
        route: view.route.and_then(|r| {
            super::ROUTES
                .iter()
                .find(|(v, _)| *v == r.as_str())
                .map(|(_, l)| *l)
        }),
        reopens: view.reopens,
        deadline_note: deadline_note(state, &view).await?,
        calendar_incomplete: view.calendar_incomplete,
        correction_request: view.correction_request.as_ref().map(|c| {
            format!(
                "申请更正为“{}”：{}（{} 于 {}）",
                labels::kind(c.kind.as_str()),
                c.reason,
                c.requested_by,
                when(&c.requested_at)
            )
        }),
        forward: view.forward.as_ref().map(|f| {
            let stands = match f.status {
                hotline_domain::ForwardStatus::Forwarded => "待下级单位签收",
                hotline_domain::ForwardStatus::Accepted => "下级单位办理中",
                hotline_domain::ForwardStatus::Replied => "下级单位已答复",
            };
            let due = f
                .deadline
                .map(|d| format!("，期限 {}", when(&d)))
                .unwrap_or_default();
            let head = format!(
                "{}（{stands}{due}）",
                unit_name(&org, Some(f.unit.as_str()))
            );
            let reply = f.reply.as_ref().map(|r| {
                let solved = if r.resolved { "已解决" } else { "未解决" };
                format!(
                    "{}（{} 于 {} 答复，{solved}）",
                    r.content,
                    r.by,
                    when(&r.at)
                )
            });
            (head, reply)
        }),
        interim: view.interim_reply.as_ref().map(|i| {
            format!(
                "{}（{} 于 {} 答复，预计 {} 前办结）",
                i.content,
                i.by,
                when(&i.at),
                i.planned
            )
        }),
        escalated_from: (!view.escalated_from.is_empty()).then(|| {
            view.escalated_from
                .iter()
                .map(|h| unit_name(&org, Some(h.as_str())))
                .collect::<Vec<_>>()
                .join(" → ")
        }),
        handling_escalation: view.handling_escalation.as_ref().map(|x| {
            format!(
                "已申请由{}提级办理，理由：{}（{} 于 {} 申请，待上级热线决定）",
                unit_name(&org, Some(x.to.as_str())),
                x.reason,
                x.requested_by,
                when(&x.requested_at)
            )
        }),
    };
    let attachments = crate::attachments::list_for(state, v, this.id)
        .await?
        .into_iter()
        .map(|a| AttachmentLine {
            id: a.id,
            name: a.name,
            size: human_size(a.size),
            from: match a.source {
                hotline_store::AttachmentSource::Requester => "诉求人".to_owned(),
                hotline_store::AttachmentSource::Staff => format!("热线 {}", a.uploaded_by),
                hotline_store::AttachmentSource::Unit => format!("承办单位 {}", a.uploaded_by),
            },
            at: when(&a.at),
            image: a.content_type.starts_with("image/"),
        })
        .collect();
    let may_attach =
        this.status.is_open() && crate::attachments::source_of(&org, v, &this).is_some();
    let unclassified = this.domain.is_none() && names.contains(&ActionName::Dispatch);
    let correctable = names.contains(&ActionName::Correct);
    let domains: Vec<(String, String)> = if unclassified || correctable {
        state
            .taxonomy()
            .await?
            .iter()
            .map(|c| (c.path.to_string(), format!("{} / {}", c.top_name, c.name)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(OrderPage {
        dispatch_domains: if unclassified {
            domains.clone()
        } else {
            Vec::new()
        },
        correct_domains: if correctable { domains } else { Vec::new() },
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.as_str(), labels::kind(k.as_str())))
            .collect(),
        sub_units: if names.contains(&ActionName::Forward) {
            forward_to
        } else {
            Vec::new()
        },
        me: Some(shell(state, &org, user)),
        o: detail,
        attachments,
        may_attach,
        events,
        actions: names
            .into_iter()
            .enumerate()
            .map(|(i, n)| {
                let mut form = refilled(i, n, sent);
                if let Some(s) = suggestion
                    .as_ref()
                    .filter(|_| !form.open && n == ActionName::Dispatch)
                {
                    form.typed.unit = format!("{}（{}）", s.name, s.unit);
                    form.typed.co_units = s
                        .co_units
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(",");
                }
                form
            })
            .collect(),
        routes,
        units,
        csrf: csrf_token(state, &user.token),
        message,
        error,
        suggested: suggestion.as_ref().map(crate::catalogue::hint),
        next_call,
        phrases: crate::auth::phrases::phrases_of(state, v)
            .await
            .map(|p| p.items)
            .unwrap_or_default(),
    })
}

pub(super) struct AttachmentLine {
    id: i64,
    name: String,
    size: String,
    from: String,
    at: String,
    image: bool,
}

fn human_size(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MB", bytes as f64 / f64::from(1 << 20))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Beside the deadline: the working days left after today while it runs (`剩余 3 个
/// 工作日`, the deadline's day counted; `今日到期` on it), or whether the reply kept it.
async fn deadline_note(state: &AppState, view: &OrderView) -> ApiResult<Option<String>> {
    let Some(deadline) = view.deadline else {
        return Ok(None);
    };
    if let Some(reply) = &view.reply {
        let kept = if reply.at <= deadline {
            "按时答复"
        } else {
            "超期答复"
        };
        return Ok(Some(kept.to_owned()));
    }
    if !view.status.awaits_reply() {
        return Ok(None);
    }
    let now = state.now();
    if now > deadline {
        return Ok(Some("已超期".to_owned()));
    }
    let calendar = state.calendar().await?;
    let day =
        |t: hotline_domain::Timestamp| t.with_timezone(&hotline_domain::shanghai()).date_naive();
    let (today, due) = (day(now), day(deadline));
    if today == due {
        return Ok(Some("今日到期".to_owned()));
    }
    // The working days after today, up to and with the deadline's day.
    let tomorrow = today.succ_opt().unwrap_or(today);
    let left = calendar.workdays(tomorrow, due).value.len();
    Ok(Some(format!("剩余 {left} 个工作日")))
}

/// Where the order is, by division name down to its street, with the code
/// (`四川省 成都市 锦江区 春熙路街道（510104022）`).
fn place_name(regions: &hotline_domain::regions::Regions, view: &OrderView) -> String {
    let code = view.street.as_deref().unwrap_or(&view.region);
    format!("{}（{code}）", regions.full_name(code))
}

/// A domain as people read it: `公共服务 / 道路交通`.
pub(super) fn domain_name(
    taxonomy: &[hotline_domain::taxonomy::DomainCategory],
    d: Option<&hotline_domain::DomainPath>,
) -> String {
    let Some(d) = d else { return "—".into() };
    taxonomy
        .iter()
        .find(|c| &c.path == d)
        .map_or_else(|| d.to_string(), |c| format!("{} / {}", c.top_name, c.name))
}

#[derive(Deserialize, Default)]
pub(super) struct ActForm {
    csrf: String,
    action: String,
    content: Option<String>,
    note: Option<String>,
    reason: Option<String>,
    unit: Option<String>,
    co_units: Option<String>,
    /// The dispatch's domain, for an order not yet classified.
    domain: Option<String>,
    /// The day an interim reply expects the matter finished.
    planned_date: Option<String>,
    /// A correction's (or a correction request's) kind, domain and place.
    kind: Option<String>,
    region: Option<String>,
    street: Option<String>,
    address: Option<String>,
    /// A second-level dispatch's deadline.
    deadline: Option<String>,
    days: Option<String>,
    route: Option<String>,
    result: Option<String>,
    resolved: Option<String>,
    into: Option<String>,
    /// The sender has checked the sensitive words flagged in the text.
    confirm_sensitive: Option<String>,
}

/// The form as the action's typed input: blank fields are absent, and a missing or
/// malformed one is refused as the API would refuse it.
pub(super) fn action_input(f: &ActForm) -> ApiResult<ActionInput> {
    use ActionInput as I;
    let name = ActionName::parse(&f.action).map_err(|_| ApiError::not_found())?;
    let opt = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let req = |field: &str, v: &Option<String>| {
        opt(v).ok_or_else(|| ApiError::invalid(field, format!("missing field `{field}`")))
    };
    let reason = || req("reason", &f.reason).map(|reason| ReasonBody { reason });
    let note = || req("note", &f.note).map(|note| NoteBody { note });
    let note_opt = || NoteOptBody { note: opt(&f.note) };
    let resolved = f.resolved.as_deref() == Some("true");
    use ActionName as N;
    Ok(match name {
        N::Answer => I::Answer(AnswerBody {
            content: req("content", &f.content)?,
            article_id: None,
            confirm_sensitive: f.confirm_sensitive.as_deref() == Some("true"),
        }),
        N::InterimReply => I::InterimReply(crate::orders::InterimReplyBody {
            content: req("content", &f.content)?,
            planned_date: req("planned_date", &f.planned_date)?,
            confirm_sensitive: f.confirm_sensitive.as_deref() == Some("true"),
        }),
        N::Triage => I::Triage(TriageBody {
            route: field("route", &req("route", &f.route)?, TriageRoute::parse)?,
            note: req("note", &f.note)?,
        }),
        N::Dispatch => I::Dispatch(DispatchBody {
            unit: req("unit", &f.unit)?,
            co_units: opt(&f.co_units)
                .map(|co| {
                    co.split([',', '，', ' '])
                        .map(str::trim)
                        .filter(|c| !c.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            note: opt(&f.note),
            domain: opt(&f.domain),
        }),
        N::Accept => I::Accept,
        N::Close => I::Close,
        N::Return => I::Return(reason()?),
        N::Reopen => I::Reopen(reason()?),
        N::RevealPhone => I::RevealPhone(reason()?),
        N::ApproveReturn => I::ApproveReturn(note_opt()),
        N::RejectReturn => I::RejectReturn(note_opt()),
        N::ApproveExtension => I::ApproveExtension(note_opt()),
        N::RejectExtension => I::RejectExtension(note_opt()),
        N::RequestExtension => I::RequestExtension(ExtensionBody {
            days: field("days", &req("days", &f.days)?, |d| d.parse::<u32>())?,
            reason: req("reason", &f.reason)?,
        }),
        N::Reply => I::Reply(ReplyBody {
            content: req("content", &f.content)?,
            resolved,
            confirm_sensitive: f.confirm_sensitive.as_deref() == Some("true"),
        }),
        N::ApproveReply => I::ApproveReply(note_opt()),
        N::RejectReply => I::RejectReply(reason()?),
        N::Recall => I::Recall(note_opt()),
        N::EscalateHandling => I::EscalateHandling(reason()?),
        N::AcceptEscalation => I::AcceptEscalation(note_opt()),
        N::DeclineEscalation => I::DeclineEscalation(reason()?),
        N::TakeOver => I::TakeOver(reason()?),
        N::LineTakeOver => I::LineTakeOver(reason()?),
        N::Correct => I::Correct(crate::orders::CorrectBody {
            kind: opt(&f.kind)
                .map(|k| field("kind", &k, Kind::parse))
                .transpose()?,
            domain: opt(&f.domain),
            region: opt(&f.region)
                .map(|r| field("region", &r, RegionCode::parse))
                .transpose()?,
            street: opt(&f.street),
            address: opt(&f.address),
            reason: req("reason", &f.reason)?,
        }),
        N::RequestCorrection => I::RequestCorrection(crate::orders::CorrectionRequestBody {
            kind: field("kind", &req("kind", &f.kind)?, Kind::parse)?,
            reason: req("reason", &f.reason)?,
        }),
        N::Forward => I::Forward(crate::orders::ForwardBody {
            unit: req("unit", &f.unit)?,
            deadline: opt(&f.deadline),
            note: opt(&f.note),
        }),
        N::AcceptForward => I::AcceptForward,
        N::ReturnForward => I::ReturnForward(reason()?),
        N::ReplyForward => I::ReplyForward(crate::orders::ForwardReplyBody {
            content: req("content", &f.content)?,
            resolved,
        }),
        N::RecallForward => I::RecallForward(note_opt()),
        N::ApproveCorrection => I::ApproveCorrection(note_opt()),
        N::RejectCorrection => I::RejectCorrection(note_opt()),
        N::Note => I::Note(ContentBody {
            content: req("content", &f.content)?,
        }),
        N::Callback => I::Callback(CallbackBody {
            result: field("result", &req("result", &f.result)?, CallbackResult::parse)?,
            resolved: Some(resolved),
            note: opt(&f.note),
        }),
        N::Urge => I::Urge(note()?),
        N::Supervise => I::Supervise(note()?),
        N::Escalate => I::Escalate(note()?),
        N::Merge => {
            let into = req("into", &f.into)?;
            I::Merge(MergeBody {
                into: into
                    .parse::<i64>()
                    .map_or(OrderRef::Number(into.clone()), OrderRef::Id),
            })
        }
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "order_print.html")]
pub(super) struct PrintPage {
    o: Detail,
    events: Vec<EventLine>,
    hotline: String,
    printed_at: String,
    /// The latest dispatch's note: the hotline's instructions to the unit.
    dispatch_note: Option<String>,
}

/// The 交办单: the order as the viewer may see it (the requester masked or withheld
/// as on the order page), on a sheet to print and file; printing it is audited, as a
/// copy of the order leaves the screen.
pub(super) async fn print_page(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let mut page = match build_order_page(&state, &user, &id, (None, None), false, None).await {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    // The sheet goes to the unit, whoever prints it: a reporter's or a confidential
    // requester's identity stays off it even when hotline staff print it.
    if page.o.hides_requester {
        page.o.requester_hidden = true;
        page.o.requester_name.clear();
        page.o.requester_phone.clear();
        page.o.requester_address.clear();
    }
    let record = crate::audit::by(
        &user.viewer,
        &addr,
        &state,
        "order.print",
        Some(page.o.id.to_string()),
        serde_json::json!({}),
    );
    if let Err(e) = state.store().append_audit(record).await {
        return page_error(e.into());
    }
    let dispatch_note = page
        .events
        .iter()
        .rev()
        .find(|e| e.label == labels::event(hotline_domain::EventKind::Dispatched))
        .map(|e| e.note.clone())
        .filter(|n| n != "—");
    PrintPage {
        hotline: page.o.hotline.clone(),
        printed_at: when(&state.now()),
        dispatch_note,
        o: page.o,
        events: page.events,
    }
    .into_response()
}

/// An upload from the order page (a multipart form: the file and the CSRF token).
pub(super) async fn attach(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
    mut form: axum::extract::Multipart,
) -> Response {
    let (mut csrf, mut file) = (String::new(), None);
    loop {
        match form.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b)),
                        Err(e) => return upload_refused(&state, &user, &id, e.status()).await,
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) => return upload_refused(&state, &user, &id, e.status()).await,
        }
    }
    if !csrf_ok(&state, &user, &csrf) {
        return stale_form();
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return render_order(
            &state,
            &user,
            &id,
            None,
            Some("请选择要上传的文件。".into()),
            false,
        )
        .await;
    };
    let added = match order_id(&id) {
        Ok(order) => {
            crate::attachments::add(&state, &user.viewer, &addr, order, &name, bytes.to_vec()).await
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(_) => {
            Redirect::to(&format!("/console/orders/{}?done=attach", encode(&id))).into_response()
        }
        Err(e) if e.code == "not_found" => page_error(e),
        Err(e) => {
            let message = match e.code {
                "file_too_large" => "文件超过 10 MB，未上传。".to_owned(),
                "validation" => {
                    "只能上传 JPEG、PNG 照片或 PDF 文件，每件工单至多 20 个附件。".to_owned()
                }
                _ => labels::error(e.code).to_owned(),
            };
            let page = render_order(&state, &user, &id, None, Some(message), false).await;
            (e.status, page).into_response()
        }
    }
}

async fn upload_refused(
    state: &AppState,
    user: &ConsoleUser,
    id: &str,
    status: StatusCode,
) -> Response {
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        "文件超过 10 MB，未上传。"
    } else {
        "上传未完成，请重试。"
    };
    let page = render_order(state, user, id, None, Some(message.to_owned()), false).await;
    (status, page).into_response()
}

/// An attachment for the console's reader: the same rule and audit as the API.
pub(super) async fn attachment_file(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return page_error(ApiError::not_found());
    };
    match crate::attachments::download(&state, &user.viewer, &addr, id).await {
        Ok(r) => r,
        Err(e) => page_error(e),
    }
}

pub(super) async fn order_act(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let done = match order_id(&id) {
        Ok(order) => perform_input(&state, &user.viewer, &addr, order, action_input(&f)).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(_) if f.action == ActionName::RevealPhone.as_str() => {
            let message = Some("完整号码已显示，本次查看已记录。".to_owned());
            render_order(&state, &user, &id, message, None, true).await
        }
        // Returned to the unit above, the order is no longer the sub-unit's to open.
        Ok(_) if f.action == ActionName::ReturnForward.as_str() => {
            Redirect::to("/console/orders").into_response()
        }
        Ok(_) => Redirect::to(&format!(
            "/console/orders/{}?done={}",
            encode(&id),
            encode(&f.action)
        ))
        .into_response(),
        Err(e) if e.code == "not_found" => page_error(e),
        Err(e) => refused_action(&state, &user, &id, &f, e).await,
    }
}
