//! Administration pages: units, accounts, calendar, limits and taxonomy.

use super::*;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/admin/units",
            get(admin_units).post(admin_units_post),
        )
        .route(
            "/console/admin/users",
            get(admin_users).post(admin_users_post),
        )
        .route(
            "/console/admin/rules",
            get(admin_rules).post(admin_rules_post),
        )
        .route(
            "/static/calendar.js",
            static_file(JS, include_str!("../../../../static/calendar.js")),
        )
}

pub(super) fn unit_kind_label(k: &str) -> &'static str {
    match k {
        "hotline" => "热线",
        "subcentre" => "分中心",
        "department" => "部门",
        "district" => "县（市、区）",
        "township" => "乡镇（街道）",
        "enterprise" => "企业",
        "vertical_agency" => "垂直管理机构",
        _ => "其他",
    }
}

pub(super) struct UnitLine {
    code: String,
    name: String,
    kind: &'static str,
    parent: String,
    /// The head of its line (条线), if any.
    line: String,
    region: String,
    state: &'static str,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_units.html")]
pub(super) struct AdminUnitsPage {
    me: Option<Shell>,
    /// The refused form as typed (empty otherwise).
    typed: Typed,
    units: Vec<UnitLine>,
    /// The administrator's hotline and its dispatch catalogue as lines of text.
    catalogue: Option<(String, String)>,
    /// The order kinds, each with whether the hotline reviews its replies (答复审核).
    review: Vec<(&'static str, &'static str, bool)>,
    kinds: Vec<(&'static str, &'static str)>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct AdminQuery {
    /// The calendar year the rules page shows.
    year: Option<i32>,
    done: Option<String>,
    error: Option<String>,
    /// The field a refused form got wrong.
    field: Option<String>,
}

/// A form as it was typed, to show again when it is refused: its fields by name,
/// the CSRF token and any password left out.
#[derive(Default)]
pub(super) struct Typed(std::collections::BTreeMap<String, String>);

impl Typed {
    fn of(pairs: &[(String, String)]) -> Self {
        Typed(
            pairs
                .iter()
                .filter(|(k, _)| k != "csrf" && !k.contains("password"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// What was typed in `field`, or nothing.
    pub(super) fn get(&self, field: &str) -> &str {
        self.0.get(field).map_or("", String::as_str)
    }

    /// Whether `field` was sent with `value` (a select's option).
    pub(super) fn is(&self, field: &str, value: &str) -> bool {
        self.0.get(field).is_some_and(|v| v == value)
    }

    /// A page showing a refused form is a 422; any other, a 200.
    fn status(&self, error: &Option<String>) -> axum::http::StatusCode {
        if error.is_some() && !self.0.is_empty() {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        } else {
            axum::http::StatusCode::OK
        }
    }

    /// Whether the form sent was the one with `op`.
    pub(super) fn op(&self, op: &str) -> bool {
        self.is("op", op)
    }
}

/// A form's fields read into its type, with what was typed.
fn read_form<T: serde::de::DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, ApiError> {
    let text =
        serde_urlencoded::to_string(pairs).map_err(|e| ApiError::bad_request(e.to_string()))?;
    serde_urlencoded::from_str(&text).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// A refusal of what was typed (the form comes back as typed), rather than of who
/// typed it (403, a console page of its own).
fn is_refusal(e: &ApiError) -> bool {
    use axum::http::StatusCode as S;
    matches!(
        e.status,
        S::UNPROCESSABLE_ENTITY | S::CONFLICT | S::BAD_REQUEST
    )
}

/// The error line of a refused form: the field and, but for a password (whose line
/// states the policy), the check it failed as the server worded it.
fn refusal_line(e: &ApiError) -> String {
    let first = e.fields.as_ref().and_then(|f| f.iter().next());
    let line = admin_error(e.code, first.map(|(field, _)| field.as_str()));
    match first {
        Some((field, why)) if field != "password" && !why.is_empty() => {
            format!("{line}（{why}）")
        }
        _ => line,
    }
}

pub(super) fn admin_messages(q: &AdminQuery) -> (Option<String>, Option<String>) {
    (
        q.done.as_ref().map(|_| "已保存。".to_owned()),
        q.error
            .as_deref()
            .map(|e| admin_error(e, q.field.as_deref())),
    )
}

/// What went wrong, naming the field where one was refused; only a refused password
/// speaks of the password policy.
pub(super) fn admin_error(code: &str, field: Option<&str>) -> String {
    match (code, field) {
        ("validation", Some("password")) => {
            "「密码」不符合密码策略：至少 10 位，含小写、大写、数字、其他字符中的三类，不含用户名，不是常见密码。".to_owned()
        }
        ("validation", Some(field)) => {
            format!("「{}」填写有误，请检查后重试。", admin_field_label(field))
        }
        ("validation", None) => "填写内容有误，请检查后重试。".to_owned(),
        ("already_exists", _) => "编码或用户名已存在。".to_owned(),
        ("forbidden", _) => "超出您的管理范围。".to_owned(),
        ("not_found", _) => "对象不存在或超出您的管理范围。".to_owned(),
        _ => labels::error(code).to_owned(),
    }
}

/// The administration forms' fields, as the pages label them.
fn admin_field_label(field: &str) -> &'static str {
    match field {
        "code" => "编码",
        "name" => "名称",
        "kind" => "类型",
        "parent" => "上级单位",
        "region" => "行政区划代码",
        "username" => "用户名",
        "role" | "roles" => "角色",
        "unit" => "所属单位",
        "holidays" | "workdays" | "year" => "日历（JSON）",
        "path" => "分类编码",
        "text" => "同义词或派单目录",
        "json" => "日历（JSON）",
        "consultation" | "help" | "complaint" | "report" | "suggestion" | "praise" => {
            "办理时限（工作日）"
        }
        other => RULE_FIELDS
            .iter()
            .find(|(name, _)| *name == other)
            .map_or("填写内容", |(_, label)| label),
    }
}

pub(super) fn not_admin() -> Response {
    refused("仅系统管理员可访问此页面。")
}

pub(super) async fn admin_units(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<AdminQuery>,
) -> Response {
    units_view(&state, &user, admin_messages(&q), Typed::default()).await
}

async fn units_view(
    state: &AppState,
    user: &ConsoleUser,
    (message, error): (Option<String>, Option<String>),
    typed: Typed,
) -> Response {
    let state = state.clone();
    if !user.viewer.grants(Capability::Administer) {
        return not_admin();
    }
    let org = match state.org().await {
        Ok(o) => o,
        Err(e) => return page_error(e),
    };
    let mut units: Vec<UnitLine> = org
        .all()
        .filter(|u| user.viewer.administers(&org, Some(&u.code)))
        .map(|u| UnitLine {
            code: u.code.to_string(),
            name: u.name.clone(),
            kind: unit_kind_label(u.kind.as_str()),
            parent: u.parent.as_ref().map_or("—".into(), |p| p.to_string()),
            line: u
                .line_head
                .as_ref()
                .map_or(String::new(), |h| h.to_string()),
            region: u.region.to_string(),
            state: if u.active { "在用" } else { "已停用" },
            active: u.active,
        })
        .collect();
    units.sort_by(|a, b| a.code.cmp(&b.code));
    let catalogue = match user.viewer.home_hotline(&org) {
        Some(h) => match crate::catalogue::catalogue(&state, &h).await {
            Ok(_) if typed.op("catalogue") => Some((h.to_string(), typed.get("text").to_owned())),
            Ok(c) => Some((h.to_string(), catalogue_text(&c))),
            Err(e) => return page_error(e),
        },
        None => None,
    };
    let reviewed = match user.viewer.home_hotline(&org) {
        Some(h) => match crate::reply_review::review_of(&state, &h).await {
            Ok(r) => r.kinds,
            Err(e) => return page_error(e),
        },
        None => Vec::new(),
    };
    let review = if catalogue.is_some() {
        hotline_domain::Kind::ALL
            .iter()
            .map(|k| (k.as_str(), labels::kind(k.as_str()), reviewed.contains(k)))
            .collect()
    } else {
        Vec::new()
    };
    let status = typed.status(&error);
    let page = AdminUnitsPage {
        me: Some(shell(&state, &org, user)),
        units,
        catalogue,
        review,
        typed,
        kinds: hotline_domain::UnitKind::ALL
            .iter()
            .map(|k| (k.as_str(), unit_kind_label(k.as_str())))
            .collect(),
        csrf: csrf_token(&state, &user.token),
        message,
        error,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub(super) struct UnitForm {
    csrf: String,
    op: String,
    code: String,
    name: Option<String>,
    kind: Option<String>,
    parent: Option<String>,
    region: Option<String>,
    /// The head of the unit's line: a name or code, `无` to leave the line.
    line_head: Option<String>,
    /// The dispatch catalogue's lines (`op=catalogue`).
    text: Option<String>,
}

/// A catalogue as the console edits it: one entry a line, `领域 区划 主办单位
/// 协办单位…`, `-` for no region.
fn catalogue_text(c: &hotline_domain::catalogue::DispatchCatalogue) -> String {
    c.entries
        .iter()
        .map(|e| {
            let region = e.region.as_ref().map_or("-".to_owned(), |r| r.to_string());
            let mut line = format!("{} {region} {}", e.domain, e.unit);
            for u in &e.co_units {
                line.push(' ');
                line.push_str(u.as_str());
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The inverse of [`catalogue_text`]; blank lines and `#` comments are skipped.
fn catalogue_from_text(
    text: &str,
) -> Result<hotline_domain::catalogue::DispatchCatalogue, ApiError> {
    use hotline_domain::catalogue::CatalogueEntry;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: String| ApiError::invalid("text", format!("第 {} 行：{why}", i + 1));
        let words: Vec<&str> = line.split_whitespace().collect();
        let [domain, region, unit, co @ ..] = words.as_slice() else {
            return Err(bad("需要“领域 区划 主办单位 [协办单位…]”".into()));
        };
        let region = (*region != "-")
            .then(|| hotline_domain::RegionCode::parse(region))
            .transpose()
            .map_err(|e| bad(e.0))?;
        let code = |c: &str| hotline_domain::UnitCode::parse(c).map_err(|e| bad(e.0));
        entries.push(CatalogueEntry {
            domain: (*domain).to_owned(),
            region,
            unit: code(unit)?,
            co_units: co.iter().map(|c| code(c)).collect::<Result<_, _>>()?,
        });
    }
    Ok(hotline_domain::catalogue::DispatchCatalogue { entries })
}

/// After a change, back to the page (so a reload does not repeat it).
pub(super) fn back_to(page: &str, outcome: Result<(), ApiError>) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("{page}?done=1")).into_response(),
        Err(e) => {
            let field = e.fields.as_ref().and_then(|f| f.keys().next());
            let to = match field {
                Some(field) => format!("{page}?error={}&field={}", e.code, encode(field)),
                None => format!("{page}?error={}", e.code),
            };
            Redirect::to(&to).into_response()
        }
    }
}

pub(super) async fn admin_units_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f: UnitForm = match read_form(&pairs) {
        Ok(f) => f,
        Err(e) => return page_error(e),
    };
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let outcome = if f.op == "reply_review" {
        review_change(&state, &addr, &user.viewer, &f.code, &pairs).await
    } else {
        unit_change(&state, &addr, &user.viewer, f).await
    };
    match outcome {
        Err(e) if is_refusal(&e) => {
            units_view(
                &state,
                &user,
                (None, Some(refusal_line(&e))),
                Typed::of(&pairs),
            )
            .await
        }
        other => back_to("/console/admin/units", other),
    }
}

/// The hotline's review rule from the units page: the ticked kinds.
async fn review_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    hotline: &str,
    pairs: &[(String, String)],
) -> Result<(), ApiError> {
    let org = state.org().await?;
    let hotline = v.hotline_to_keep(&org, Some(hotline.trim()))?;
    let kinds = pairs
        .iter()
        .filter(|(k, _)| k == "review_kind")
        .map(|(_, v)| hotline_domain::Kind::parse(v).map_err(|e| ApiError::invalid("kinds", e.0)))
        .collect::<Result<Vec<_>, _>>()?;
    let rule = crate::reply_review::ReplyReview { kinds };
    crate::reply_review::put_review(state, &Principal::person(v, addr), &hotline, rule)
        .await
        .map(drop)
}

pub(super) async fn unit_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    f: UnitForm,
) -> Result<(), ApiError> {
    use crate::admin::{UnitPatch, add_unit, change_unit};
    let actor = Principal::person(v, addr);
    if f.op == "catalogue" {
        let org = state.org().await?;
        let hotline = crate::catalogue::hotline_of(&org, v, Some(f.code.trim()))?;
        let c = catalogue_from_text(f.text.as_deref().unwrap_or(""))?;
        return crate::catalogue::put_catalogue(state, &actor, &hotline, c)
            .await
            .map(drop);
    }
    let bad =
        |field: &'static str| move |e: hotline_domain::InvalidValue| ApiError::invalid(field, e.0);
    let nonempty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let code = hotline_domain::UnitCode::parse(f.code.trim()).map_err(bad("code"))?;
    // The parent is picked by name (or code, or `名称（code）`).
    let org = state.org().await?;
    let home = if v.is_installation_admin() {
        None
    } else {
        v.home_hotline(&org)
    };
    let parent = nonempty(&f.parent)
        .map(|p| org.resolve_within(&p, home.as_ref()))
        .transpose()
        .map_err(|why| ApiError::invalid("parent", why))?;
    if f.op == "create" {
        let kind = hotline_domain::UnitKind::parse(f.kind.as_deref().unwrap_or(""))
            .map_err(bad("kind"))?;
        let record = hotline_store::UnitRecord {
            code,
            name: nonempty(&f.name).unwrap_or_default(),
            kind,
            parent,
            region: hotline_domain::RegionCode::parse(f.region.as_deref().unwrap_or("").trim())
                .map_err(bad("region"))?,
            active: true,
            line_head: None,
        };
        return add_unit(state, &actor, record).await.map(drop);
    }
    let patch = match f.op.as_str() {
        "deactivate" => UnitPatch {
            active: Some(false),
            ..Default::default()
        },
        "activate" => UnitPatch {
            active: Some(true),
            ..Default::default()
        },
        _ => UnitPatch {
            name: nonempty(&f.name),
            parent,
            active: None,
            line_head: match nonempty(&f.line_head).as_deref() {
                None => None,
                Some("无") => Some(String::new()),
                // Exactly as the picker shows it, or a code: no guess by name.
                Some(head) => Some(
                    head.strip_suffix('）')
                        .and_then(|h| h.rsplit_once('（'))
                        .map_or(head, |(_, code)| code)
                        .to_owned(),
                ),
            },
        },
    };
    change_unit(state, &actor, &code, patch).await.map(drop)
}

pub(super) struct UserLine {
    username: String,
    roles: String,
    /// Every role with whether the account holds it (the role change form).
    held: Vec<(&'static str, &'static str, bool)>,
    /// The unit as the unit field takes it: `名称（code）`.
    unit_value: String,
    unit: String,
    state: &'static str,
    active: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub(super) struct AdminUsersPage {
    me: Option<Shell>,
    /// The refused form as typed (empty otherwise).
    typed: Typed,
    users: Vec<UserLine>,
    roles: Vec<(&'static str, &'static str)>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
}

pub(super) async fn admin_users(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<AdminQuery>,
) -> Response {
    users_view(&state, &user, admin_messages(&q), Typed::default()).await
}

async fn users_view(
    state: &AppState,
    user: &ConsoleUser,
    (message, error): (Option<String>, Option<String>),
    typed: Typed,
) -> Response {
    let state = state.clone();
    if !user.viewer.grants(Capability::Administer) {
        return not_admin();
    }
    let (org, all) = match (state.org().await, state.store().list_users().await) {
        (Ok(o), Ok(u)) => (o, u),
        (Err(e), _) => return page_error(e),
        (_, Err(e)) => return page_error(e.into()),
    };
    let users = all
        .iter()
        .filter(|u| user.viewer.administers(&org, u.unit.as_ref()))
        .map(|u| UserLine {
            held: Role::ALL
                .iter()
                .map(|r| (r.as_str(), labels::role(r.as_str()), u.roles.contains(r)))
                .collect(),
            unit_value: u
                .unit
                .as_ref()
                .map(|c| format!("{}（{c}）", unit_name(&org, Some(c.as_str()))))
                .unwrap_or_default(),
            username: u.username.clone(),
            roles: u
                .roles
                .iter()
                .map(|r| labels::role(r.as_str()))
                .collect::<Vec<_>>()
                .join("、"),
            unit: unit_name(&org, u.unit.as_ref().map(|c| c.as_str())),
            state: if u.active { "在用" } else { "已停用" },
            active: u.active,
        })
        .collect();
    let status = typed.status(&error);
    let page = AdminUsersPage {
        me: Some(shell(&state, &org, user)),
        users,
        typed,
        roles: hotline_domain::Role::ALL
            .iter()
            .map(|r| (r.as_str(), labels::role(r.as_str())))
            .collect(),
        csrf: csrf_token(&state, &user.token),
        message,
        error,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub(super) struct UserForm {
    csrf: String,
    op: String,
    username: String,
    unit: Option<String>,
    password: Option<String>,
}

pub(super) async fn admin_users_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f: UserForm = match read_form(&pairs) {
        Ok(f) => f,
        Err(e) => return page_error(e),
    };
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    let roles: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.clone())
        .collect();
    match account_change(&state, &addr, &user.viewer, f, &roles).await {
        Err(e) if is_refusal(&e) => {
            users_view(
                &state,
                &user,
                (None, Some(refusal_line(&e))),
                Typed::of(&pairs),
            )
            .await
        }
        other => back_to("/console/admin/users", other),
    }
}

/// An account's unit typed by name (or code, or `名称（code）`), found within the
/// administrator's hotline; blank is none.
async fn unit_by_name(
    state: &AppState,
    v: &Viewer,
    given: Option<&str>,
) -> Result<Option<hotline_domain::UnitCode>, ApiError> {
    let Some(given) = given.map(str::trim).filter(|u| !u.is_empty()) else {
        return Ok(None);
    };
    let org = state.org().await?;
    let home = if v.is_installation_admin() {
        None
    } else {
        v.home_hotline(&org)
    };
    org.resolve_within(given, home.as_ref())
        .map(Some)
        .map_err(|why| ApiError::invalid("unit", why))
}

pub(super) async fn account_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    f: UserForm,
    roles: &[String],
) -> Result<(), ApiError> {
    use crate::admin::{UserPatch, add_user, change_user, set_password};
    let actor = Principal::person(v, addr);
    let username = f.username.trim();
    // Several roles a person (ticked boxes, or the one chosen).
    let roles = || -> Result<Vec<Role>, ApiError> {
        let picked: Vec<Role> = roles
            .iter()
            .map(|r| Role::parse(r).map_err(|e| ApiError::invalid("role", e.0)))
            .collect::<Result<_, _>>()?;
        if picked.is_empty() {
            return Err(ApiError::invalid("role", "choose at least one role"));
        }
        Ok(picked)
    };
    if f.op == "create" {
        let unit = unit_by_name(state, v, f.unit.as_deref()).await?;
        let password = f.password.as_deref().unwrap_or("");
        return add_user(state, &actor, username, password, roles()?, unit)
            .await
            .map(drop);
    }
    if f.op == "reset" {
        let password = f.password.as_deref().unwrap_or("");
        return set_password(state, &actor, username, password).await;
    }
    if f.op == "roles" {
        let patch = UserPatch {
            roles: Some(roles()?),
            unit: unit_by_name(state, v, f.unit.as_deref()).await?,
            ..Default::default()
        };
        return change_user(state, &actor, username, patch).await.map(drop);
    }
    let patch = UserPatch {
        active: Some(f.op == "enable"),
        ..Default::default()
    };
    change_user(state, &actor, username, patch).await.map(drop)
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_rules.html")]
pub(super) struct AdminRulesPage {
    me: Option<Shell>,
    /// The refused form as typed (empty otherwise).
    typed: Typed,
    years: String,
    warnings: Vec<String>,
    limit_inputs: Vec<RuleInput>,
    rule_inputs: Vec<RuleInput>,
    clock_dispatch: bool,
    synonyms: String,
    /// The sensitive words, one a line.
    sensitive: String,
    tops: Vec<(&'static str, &'static str)>,
    /// The taxonomy by top field, names first: (top, [(name, path)]).
    taxonomy_groups: Vec<(String, Vec<(String, String)>)>,
    /// The streets administrators added or renamed: (code, where, name).
    streets: Vec<(String, String, String)>,
    edition: &'static str,
    /// The calendar year shown as a grid, its days off and make-up working days one a
    /// line (the editor), its notice, and a warning when it looks incomplete.
    calendar_year: i32,
    months: Vec<MonthGrid>,
    holiday_lines: String,
    workday_lines: String,
    notice: String,
    year_warning: Option<String>,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
}

/// Years as ranges: `2004–2026`.
pub(super) fn year_ranges(years: &[i32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < years.len() {
        let mut j = i;
        while j + 1 < years.len() && years[j + 1] == years[j] + 1 {
            j += 1;
        }
        out.push(if i == j {
            years[i].to_string()
        } else {
            format!("{}–{}", years[i], years[j])
        });
        i = j + 1;
    }
    if out.is_empty() {
        "无".into()
    } else {
        out.join("、")
    }
}

pub(super) async fn admin_rules(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(q): Query<AdminQuery>,
) -> Response {
    let typed = match q.year {
        Some(y) => Typed::of(&[("calendar_year".to_owned(), y.to_string())]),
        None => Typed::default(),
    };
    rules_view(&state, &user, admin_messages(&q), typed).await
}

/// One day of the calendar grid.
pub(super) struct DayCell {
    day: u32,
    date: String,
    /// `holiday` (放假), `workday` (调休上班), `weekend`, or `` for a plain working day.
    class: &'static str,
}

/// A month of the calendar grid: its name and its weeks, Monday first.
pub(super) struct MonthGrid {
    name: String,
    weeks: Vec<Vec<Option<DayCell>>>,
}

fn month_grids(calendar: &hotline_domain::Calendar, year: i32) -> Vec<MonthGrid> {
    use chrono::Datelike;
    let a = calendar.arrangement(year);
    let holidays: Vec<chrono::NaiveDate> =
        a.as_ref().map(|a| a.holidays.clone()).unwrap_or_default();
    let workdays: Vec<chrono::NaiveDate> =
        a.as_ref().map(|a| a.workdays.clone()).unwrap_or_default();
    (1..=12)
        .filter_map(|m| chrono::NaiveDate::from_ymd_opt(year, m, 1))
        .map(|first| {
            let mut weeks = Vec::new();
            let mut week: Vec<Option<DayCell>> = (0..first.weekday().num_days_from_monday())
                .map(|_| None)
                .collect();
            for d in first.iter_days().take_while(|d| d.month() == first.month()) {
                let weekend = d.weekday().num_days_from_monday() >= 5;
                let class = if holidays.contains(&d) {
                    "holiday"
                } else if workdays.contains(&d) {
                    "workday"
                } else if weekend {
                    "weekend"
                } else {
                    ""
                };
                week.push(Some(DayCell {
                    day: d.day(),
                    date: d.to_string(),
                    class,
                }));
                if week.len() == 7 {
                    weeks.push(std::mem::take(&mut week));
                }
            }
            if !week.is_empty() {
                week.resize_with(7, || None);
                weeks.push(week);
            }
            MonthGrid {
                name: format!("{}月", first.month()),
                weeks,
            }
        })
        .collect()
}

/// The statutory holidays a year has at least (元旦 1, 春节 4, 清明 1, 劳动节 2,
/// 端午 1, 中秋 1, 国庆 3, from 2025): an arrangement listing fewer days off is
/// probably incomplete.
const FEWEST_HOLIDAYS: usize = 13;

async fn rules_view(
    state: &AppState,
    user: &ConsoleUser,
    (message, error): (Option<String>, Option<String>),
    typed: Typed,
) -> Response {
    let state = state.clone();
    // Calendar, rules and taxonomy belong to the whole installation.
    if !user.viewer.is_installation_admin() {
        return not_admin();
    }
    let loaded = async {
        let org = state.org().await?;
        let (calendar, rules, taxonomy) = (
            state.calendar().await?,
            state.rules().await?,
            state.taxonomy().await?,
        );
        Ok::<_, ApiError>((org, calendar, rules, taxonomy))
    };
    let (org, calendar, rules, taxonomy) = match loaded.await {
        Ok(x) => x,
        Err(e) => return page_error(e),
    };
    let years = calendar.loaded_years();
    let warnings = crate::ops::calendar_warnings(&years, state.now())
        .iter()
        .map(|w| {
            let year = w.split_whitespace().find(|t| t.parse::<i32>().is_ok()).unwrap_or("");
            format!("尚未载入 {year} 年的法定节假日安排：涉及该年的时限暂按周一至周五计算并标记为日历不完整。")
        })
        .collect();
    let (mut limit_inputs, mut rule_inputs) = rule_inputs(&rules);
    if typed.op("limits") {
        for i in limit_inputs.iter_mut().chain(rule_inputs.iter_mut()) {
            i.value = typed.get(i.name).to_owned();
        }
    }
    let status = typed.status(&error);
    let synonyms = match state.synonyms().await {
        Ok(_) if typed.op("synonyms") => typed.get("json").to_owned(),
        Ok(s) => s.to_text(),
        Err(e) => return page_error(e),
    };
    let sensitive = match crate::reply_review::words(&state).await {
        Ok(_) if typed.op("sensitive") => typed.get("json").to_owned(),
        Ok(w) => w.words.join("\n"),
        Err(e) => return page_error(e),
    };
    let calendar_year = typed
        .get("calendar_year")
        .parse::<i32>()
        .ok()
        .filter(|y| (1990..=2100).contains(y))
        .unwrap_or_else(|| {
            use chrono::Datelike;
            state.today().year()
        });
    let shown = calendar.arrangement(calendar_year);
    let lines = |days: Option<&Vec<chrono::NaiveDate>>| {
        days.map(|d| {
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
    };
    let year_warning = match &shown {
        None => Some(format!(
            "{calendar_year} 年的安排尚未载入：该年按周一至周五计算工作日。"
        )),
        Some(a) if a.holidays.len() < FEWEST_HOLIDAYS => Some(format!(
            "{calendar_year} 年只载入了 {} 个放假日期，少于法定节假日的 {FEWEST_HOLIDAYS} 天，可能不完整：请对照国务院办公厅通知核对。",
            a.holidays.len()
        )),
        _ => None,
    };
    let page = AdminRulesPage {
        me: Some(shell(&state, &org, user)),
        months: month_grids(&calendar, calendar_year),
        holiday_lines: if typed.op("calendar_days") {
            typed.get("holidays").to_owned()
        } else {
            lines(shown.as_ref().map(|a| &a.holidays))
        },
        workday_lines: if typed.op("calendar_days") {
            typed.get("workdays").to_owned()
        } else {
            lines(shown.as_ref().map(|a| &a.workdays))
        },
        notice: shown
            .as_ref()
            .and_then(|a| a.notice.clone())
            .unwrap_or_default(),
        year_warning,
        calendar_year,
        sensitive,
        typed,
        years: year_ranges(&years),
        warnings,
        limit_inputs,
        rule_inputs,
        clock_dispatch: rules.clock_start == hotline_domain::rules::ClockStart::Dispatch,
        synonyms,
        tops: hotline_domain::DOMAIN_TOPS
            .iter()
            .map(|t| (*t, hotline_domain::taxonomy::top_name(t)))
            .collect(),
        taxonomy_groups: {
            let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
            for c in taxonomy.iter() {
                let entry = (c.name.clone(), c.path.to_string());
                match groups.iter_mut().find(|(top, _)| *top == c.top_name) {
                    Some((_, subs)) => subs.push(entry),
                    None => groups.push((c.top_name.clone(), vec![entry])),
                }
            }
            groups
        },
        streets: match state.regions().await {
            Ok(r) => r
                .edits()
                .into_iter()
                .map(|e| (e.code.clone(), r.full_name(&e.code[..6]), e.name))
                .collect(),
            Err(e) => return page_error(e),
        },
        edition: hotline_domain::regions::edition(),
        csrf: csrf_token(&state, &user.token),
        message,
        error,
    };
    (status, page).into_response()
}

#[derive(Deserialize)]
pub(super) struct RulesForm {
    csrf: String,
    op: String,
    json: Option<String>,
    top: Option<String>,
    sub: Option<String>,
    name: Option<String>,
    #[serde(flatten)]
    numbers: std::collections::HashMap<String, String>,
}

/// The deadline-rule fields the console edits: (form name, label).
const LIMIT_FIELDS: &[(&str, &str)] = &[
    ("consultation", "咨询"),
    ("help", "求助"),
    ("complaint", "投诉"),
    ("report", "举报"),
    ("suggestion", "意见建议"),
    ("praise", "表扬"),
];
const RULE_FIELDS: &[(&str, &str)] = &[
    ("accept_days", "签收时限（工作日）"),
    ("return_window_days", "退单时限（工作日）"),
    ("urgent_accept_hours", "紧急诉求签收时限（小时）"),
    ("urgent_limit_days", "紧急诉求办理时限（工作日）"),
    ("max_extensions", "延期次数上限"),
    ("due_soon_days", "临期提醒（到期前工作日）"),
    ("callback_attempts", "回访联系不上的尝试次数"),
];

use hotline_domain::DeadlineRules;

/// One number input of the rules form.
pub(super) struct RuleInput {
    name: &'static str,
    label: &'static str,
    value: String,
}

fn rule_inputs(rules: &DeadlineRules) -> (Vec<RuleInput>, Vec<RuleInput>) {
    let limits = LIMIT_FIELDS
        .iter()
        .map(|(name, label)| RuleInput {
            name,
            label,
            value: kind_limit(rules, name).map_or(String::new(), |d| d.to_string()),
        })
        .collect();
    let others = RULE_FIELDS
        .iter()
        .map(|(name, label)| RuleInput {
            name,
            label,
            value: rule_slot(&mut rules.clone(), name).to_string(),
        })
        .collect();
    (limits, others)
}

fn kind_limit<'a>(rules: &'a DeadlineRules, name: &str) -> &'a Option<u32> {
    let l = &rules.limits;
    match name {
        "consultation" => &l.consultation,
        "help" => &l.help,
        "complaint" => &l.complaint,
        "report" => &l.report,
        "suggestion" => &l.suggestion,
        _ => &l.praise,
    }
}

fn rule_slot<'a>(rules: &'a mut DeadlineRules, name: &str) -> &'a mut u32 {
    match name {
        "accept_days" => &mut rules.accept_days,
        "return_window_days" => &mut rules.return_window_days,
        "urgent_accept_hours" => &mut rules.urgent_accept_hours,
        "urgent_limit_days" => &mut rules.urgent_limit_days,
        "max_extensions" => &mut rules.max_extensions,
        "due_soon_days" => &mut rules.due_soon_days,
        _ => &mut rules.callback_attempts,
    }
}

/// The rules as the form sets them: an empty limit means none, anything else must be
/// a whole number (range checks are the domain's).
fn rules_from_form(
    current: &DeadlineRules,
    form: &std::collections::HashMap<String, String>,
) -> Result<DeadlineRules, ApiError> {
    let number = |name: &str| -> Result<Option<u32>, ApiError> {
        let raw = form.get(name).map(|v| v.trim()).unwrap_or("");
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse()
            .map(Some)
            .map_err(|_| ApiError::invalid(name, "must be a whole number"))
    };
    let mut rules = current.clone();
    rules.limits = hotline_domain::rules::KindLimits {
        consultation: number("consultation")?,
        help: number("help")?,
        complaint: number("complaint")?,
        report: number("report")?,
        suggestion: number("suggestion")?,
        praise: number("praise")?,
    };
    for (name, _) in RULE_FIELDS {
        let value = number(name)?.ok_or_else(|| ApiError::invalid(name, "must not be empty"))?;
        *rule_slot(&mut rules, name) = value;
    }
    rules.clock_start = match form.get("clock_start").map(String::as_str) {
        Some("dispatch") => hotline_domain::rules::ClockStart::Dispatch,
        _ => hotline_domain::rules::ClockStart::Registration,
    };
    Ok(rules)
}

pub(super) async fn admin_rules_post(
    State(state): State<AppState>,
    addr: ClientAddr,
    user: ConsoleUser,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let f: RulesForm = match read_form(&pairs) {
        Ok(f) => f,
        Err(e) => return page_error(e),
    };
    if !csrf_ok(&state, &user, &f.csrf) {
        return stale_form();
    }
    match rules_change(&state, &addr, &user.viewer, f).await {
        Err(e) if is_refusal(&e) => {
            rules_view(
                &state,
                &user,
                (None, Some(refusal_line(&e))),
                Typed::of(&pairs),
            )
            .await
        }
        other => back_to("/console/admin/rules", other),
    }
}

pub(super) async fn rules_change(
    state: &AppState,
    addr: &ClientAddr,
    v: &Viewer,
    f: RulesForm,
) -> Result<(), ApiError> {
    if f.op == "sensitive" {
        let words = f
            .json
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect();
        let list = crate::reply_review::SensitiveWords { words };
        return crate::reply_review::put_words(state, &Principal::person(v, addr), list)
            .await
            .map(drop);
    }
    if f.op == "synonyms" {
        let text = f.json.unwrap_or_default();
        return crate::kb::save_synonyms(state, v, addr, &text)
            .await
            .map(|_| ());
    }
    if f.op == "limits" {
        let rules = rules_from_form(&*state.rules().await?, &f.numbers)?;
        return crate::admin::change_rules(state, &Principal::person(v, addr), rules)
            .await
            .map(drop);
    }
    if f.op == "street" {
        let code = f.numbers.get("code").map(|c| c.trim()).unwrap_or("");
        let name = f.name.unwrap_or_default();
        return crate::regions::set_street(state, &Principal::person(v, addr), code, &name)
            .await
            .map(drop);
    }
    if f.op == "calendar_days" {
        let dates = |field: &str| -> Result<Vec<chrono::NaiveDate>, ApiError> {
            f.numbers
                .get(field)
                .map(String::as_str)
                .unwrap_or("")
                .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
                .filter(|d| !d.is_empty())
                .map(|d| crate::dates::day(field, d))
                .collect()
        };
        let year = f
            .numbers
            .get("calendar_year")
            .and_then(|y| y.trim().parse::<i32>().ok())
            .ok_or_else(|| ApiError::invalid("calendar_year", "a year"))?;
        let notice = f
            .numbers
            .get("notice")
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty());
        let arrangement = hotline_domain::YearArrangement {
            year,
            holidays: dates("holidays")?,
            workdays: dates("workdays")?,
            notice,
        };
        return crate::admin::load_year(state, &Principal::person(v, addr), arrangement)
            .await
            .map(drop);
    }
    if f.op == "calendar" {
        let year: hotline_domain::YearArrangement =
            parse_json(f.json.unwrap_or_default().as_bytes())?;
        return crate::admin::load_year(state, &Principal::person(v, addr), year)
            .await
            .map(drop);
    }
    let path = format!(
        "{}/{}",
        f.top.unwrap_or_default(),
        f.sub.unwrap_or_default().trim()
    );
    let path =
        hotline_domain::DomainPath::parse(&path).map_err(|e| ApiError::invalid("path", e.0))?;
    let name = f.name.unwrap_or_default();
    let category = crate::admin::NewCategory { path, name };
    crate::admin::add_category(state, &Principal::person(v, addr), category)
        .await
        .map(drop)
}
