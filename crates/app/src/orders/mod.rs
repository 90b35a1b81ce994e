//! Order use cases: register, list, read, act. Their HTTP routes are in [`api`], the
//! console's pages in `crate::web`.
//!
//! Every action goes through [`perform`], with its input typed ([`ActionInput`], built
//! from the API's JSON or from a console form): load the order, answer 404 if the
//! caller may not see it, resolve the input against the order and the organisation,
//! let the domain lifecycle decide (403 / 409 / 422),
//! then write the changed order and its event in one transaction. A write that lost a
//! race with another change is retried on a fresh copy.

pub mod api;
pub mod batch;
pub mod public;
pub mod search;
pub mod supervision;
pub mod views;

use hmac::{Hmac, Mac};
use hotline_domain::audit::AuditRecord;
use hotline_domain::rules::end_of_day;
use hotline_domain::*;
use hotline_store::{Created, IdempotencyKey, NewOrder, OrderChange, OrderFilter, StoreError};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::access::{Org, Viewer};
use crate::audit::{self, ClientAddr};
use crate::dates;
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_json;
use crate::orders::views::{Disclosure, OrderView};
use crate::{AppState, unknown_unit};

pub const TITLE_MAX: usize = 200;
pub const CONTENT_MAX: usize = 10_000;
/// Characters a reason of 提级办理 holds at most.
pub const REASON_MAX: usize = 2_000;

/// `POST /api/v1/orders` body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateOrderRequest {
    pub channel: Channel,
    pub kind: Kind,
    pub domain: Option<DomainPath>,
    pub region: RegionCode,
    /// The town or street (乡镇/街道): its 9-digit statistical code, within `region`
    /// (`GET /api/v1/regions?parent=REGION` lists them).
    #[serde(default)]
    pub street: Option<String>,
    pub title: String,
    pub content: String,
    pub address: Option<String>,
    #[serde(default)]
    pub urgent: bool,
    pub location: Option<Location>,
    #[serde(default)]
    pub requester: RequesterRequest,
    #[serde(default)]
    pub confidential: bool,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct RequesterRequest {
    pub name: Option<String>,
    pub phone: Option<Phone>,
    pub address: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
    /// The enterprise the requester speaks for (涉企诉求): its name and unified social
    /// credit code (checked by its check character).
    #[serde(default)]
    pub enterprise: Option<Enterprise>,
}

pub(crate) fn check_len(field: &str, value: &str, max: usize, required: bool) -> ApiResult<()> {
    if required && value.trim().is_empty() {
        return Err(ApiError::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

fn opt_len(field: &str, value: &Option<String>, max: usize) -> ApiResult<()> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_len(field, v, max, false))
}

/// Validates a request into an intake: lengths, location, and a domain that exists
/// in the taxonomy in force.
pub async fn intake_from(state: &AppState, req: CreateOrderRequest) -> ApiResult<Intake> {
    check_len("title", &req.title, TITLE_MAX, true)?;
    check_len("content", &req.content, CONTENT_MAX, true)?;
    opt_len("address", &req.address, 500)?;
    opt_len("requester.name", &req.requester.name, 100)?;
    opt_len("requester.address", &req.requester.address, 500)?;
    if let Some(e) = &req.requester.enterprise {
        check_len("requester.enterprise.name", &e.name, 100, true)?;
    }
    if let Some(loc) = &req.location {
        loc.validate()
            .map_err(|e| ApiError::invalid("location", e.0))?;
    }
    if let Some(domain) = &req.domain {
        check_domain(state, domain).await?;
    }
    let street = place_of(state, &req.region, req.street.as_deref()).await?;
    let trim = |s: Option<String>| s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    Ok(Intake {
        channel: req.channel,
        kind: req.kind,
        domain: req.domain,
        region: req.region,
        street,
        title: req.title.trim().to_owned(),
        content: req.content.trim().to_owned(),
        address: trim(req.address),
        location: req.location,
        urgent: req.urgent,
        confidential: req.confidential,
        requester: Requester {
            name: trim(req.requester.name),
            phone: req.requester.phone.map(|p| local_phone(state, p)),
            address: trim(req.requester.address),
            anonymous: req.requester.anonymous,
            enterprise: req.requester.enterprise.map(|mut e| {
                e.name = e.name.trim().to_owned();
                e
            }),
        },
    })
}

/// Checks an order's place against the divisions in force: the region is one on
/// the list, and the street (if any, blank being none) lies in it.
async fn place_of(
    state: &AppState,
    region: &RegionCode,
    street: Option<&str>,
) -> ApiResult<Option<String>> {
    let regions = state.regions().await?;
    if regions.get(region.as_str()).is_none() {
        return Err(ApiError::invalid(
            "region",
            format!("no such division on the list: {region}"),
        ));
    }
    let Some(street) = street.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    match regions.get(street) {
        Some(s) if s.parent.as_deref() == Some(region.as_str()) => Ok(Some(s.code)),
        Some(_) => Err(ApiError::invalid(
            "street",
            format!("street {street} does not lie in region {region}"),
        )),
        None => Err(ApiError::invalid(
            "street",
            format!("no such town or street: {street} (9-digit statistical code)"),
        )),
    }
}

/// A domain given with an action (blank: none), one the taxonomy holds.
async fn given_domain(state: &AppState, given: Option<&str>) -> ApiResult<Option<DomainPath>> {
    let Some(d) = given.map(str::trim).filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    let d = DomainPath::parse(d).map_err(|e| ApiError::invalid("domain", e.0))?;
    check_domain(state, &d).await?;
    Ok(Some(d))
}

/// A domain the taxonomy holds (422 naming it otherwise).
async fn check_domain(state: &AppState, domain: &DomainPath) -> ApiResult<()> {
    let known = state.taxonomy().await?.iter().any(|c| &c.path == domain);
    if !known {
        return Err(ApiError::invalid(
            "domain",
            format!("no such category in the taxonomy: {domain}"),
        ));
    }
    Ok(())
}

/// A number as this hotline writes it: a local number completed with the configured
/// area code (`Phone` is canonical otherwise).
pub fn local_phone(state: &AppState, phone: Phone) -> Phone {
    phone.with_area_code(&state.config().phone_area_code)
}

/// The keyed hash of a phone number: history and duplicate lookups use it, so no
/// lookup ever needs the plain numbers.
pub fn phone_hash(key: &[u8], phone: &Phone) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(phone.as_str().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub use hotline_domain::text::address_key;

fn tracking_code() -> String {
    format!("{:08}", rand::rng().random_range(0..100_000_000u32))
}

/// Registers an order for `hotline` at `now` (the use case behind every intake
/// channel).
pub async fn register(
    state: &AppState,
    intake: Intake,
    hotline: UnitCode,
    by: &str,
    idempotency: Option<IdempotencyKey>,
    now: Timestamp,
    audit: Option<AuditRecord>,
) -> ApiResult<Created> {
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let key = &state.config().phone_hash_key;
    let new = NewOrder {
        phone_hash: intake.requester.phone.as_ref().map(|p| phone_hash(key, p)),
        address_key: intake.address.as_deref().and_then(address_key),
        intake,
        hotline,
        registered_by: by.to_owned(),
        now,
        tracking_code: tracking_code(),
        duplicate_window_days: state.config().duplicate_window_days,
        idempotency,
        audit,
    };
    let created = state
        .store()
        .create_order(new, rules, calendar.clone())
        .await?;
    if created.order.calendar_incomplete && !created.replayed {
        tracing::warn!(order = %created.order.number, "deadline counted Monday–Friday: a year of the calendar is not loaded");
    }
    Ok(created)
}

/// Renders an order for a viewer, with its SLA as of now.
pub async fn view_for(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    order: Order,
    events: Option<Vec<Event>>,
    full_phone: bool,
) -> ApiResult<OrderView> {
    view_knowing(state, viewer, org, order, events, full_phone, &[]).await
}

/// [`view_for`], with the owning hotlines of some linked orders already known (an
/// intake's duplicate lookup found them), so they need not be read again.
async fn view_knowing(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    order: Order,
    events: Option<Vec<Event>>,
    full_phone: bool,
    known: &[(OrderId, UnitCode)],
) -> ApiResult<OrderView> {
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let sla = order.sla(&rules, &calendar, state.now());
    let staff = viewer.is_staff_of(org, &order);
    let disclosure = Disclosure {
        identity: viewer.sees_identity(org, &order),
        tracking_code: staff,
        full_phone,
    };
    let mut order = keep_visible_links(state, viewer, org, order, known).await?;
    let mut events = events;
    if !disclosure.identity {
        let by_staff = |e: &Event| {
            e.unit
                .as_ref()
                .and_then(|u| org.get(u))
                .is_some_and(|u| u.kind.takes_requests())
        };
        crate::orders::views::withhold_requester(&mut order, events.as_mut(), by_staff);
    }
    let regions = state.regions().await?;
    let mut view = OrderView::new(order, sla, disclosure, events);
    view.region_name = regions.name(&view.region);
    view.street_name = view.street.as_deref().map(|s| regions.name(s));
    Ok(view)
}

/// The order with only the links (possible duplicates, merges) this viewer may be
/// shown: links reach across hotlines and join a report to its requester's other
/// orders, so each is checked like a read of the order it names.
async fn keep_visible_links(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    mut order: Order,
    known: &[(OrderId, UnitCode)],
) -> ApiResult<Order> {
    let linked: Vec<OrderId> = order
        .possible_duplicates
        .iter()
        .chain(&order.merged)
        .chain(&order.merged_into)
        .copied()
        .collect();
    if linked.is_empty() {
        return Ok(order);
    }
    let shown: std::collections::HashSet<OrderId> = match viewer.staff_hotline(org) {
        // Hotline staff of this order see a link to exactly the orders they are staff
        // of (`sees_link` reduces to that), which needs only each order's hotline.
        Some(own) if viewer.is_staff_of(org, &order) => {
            let all_known = linked.iter().all(|id| known.iter().any(|(k, _)| k == id));
            let owners = if all_known {
                known.to_vec()
            } else {
                state.store().order_hotlines(&linked).await?
            };
            owners
                .into_iter()
                .filter(|(_, hotline)| org.is_same_or_above(own, hotline))
                .map(|(id, _)| id)
                .collect()
        }
        _ => state
            .store()
            .orders_by_ids(&linked)
            .await?
            .iter()
            .filter(|to| viewer.sees_link(org, &order, to))
            .map(|to| to.id)
            .collect(),
    };
    order.possible_duplicates.retain(|id| shown.contains(id));
    order.merged.retain(|id| shown.contains(id));
    order.merged_into = order.merged_into.filter(|id| shown.contains(id));
    Ok(order)
}

/// Registers an order taken by a hotline's operator or dispatcher (or a key of a
/// hotline): the order belongs to their hotline.
pub async fn create_for(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    req: CreateOrderRequest,
    idempotency: Option<IdempotencyKey>,
) -> ApiResult<Created> {
    let org = state.org().await?;
    let may_register = viewer.grants(Capability::RegisterOrders);
    let hotline = match viewer.staff_hotline(&org) {
        Some(h) if may_register => h.clone(),
        _ => {
            return Err(ApiError::forbidden(
                "only operators and dispatchers of a hotline register orders",
            ));
        }
    };
    let intake = intake_from(state, req).await?;
    // A key's requests go where the region and domain send them within its hotline's
    // tree; a person registers for the hotline or sub-centre they work for.
    let hotline = if viewer.key_actions.is_some() {
        let to = intake.domain.as_ref();
        crate::remit::owner_for(state, &org, &intake.region, to, Some(&hotline))
            .await?
            .unwrap_or(hotline)
    } else {
        hotline
    };
    crate::remit::check_intake(state, &org, &hotline, intake.domain.as_ref()).await?;
    let detail = json!({"channel": intake.channel, "kind": intake.kind});
    let record = audit::by(viewer, addr, state, "order.create", None, detail);
    let user = &viewer.user.username;
    register(
        state,
        intake,
        hotline,
        user,
        idempotency,
        state.now(),
        Some(record),
    )
    .await
}

/// A caller's earlier orders that this viewer may see, newest first.
pub async fn history_for(
    state: &AppState,
    viewer: &Viewer,
    phone: &Phone,
) -> ApiResult<Vec<OrderView>> {
    let org = state.org().await?;
    if !viewer.grants(Capability::LookUpCallers) || viewer.staff_hotline(&org).is_none() {
        return Err(ApiError::forbidden("only hotline staff look up callers"));
    }
    let phone = local_phone(state, phone.clone());
    let hash = phone_hash(&state.config().phone_hash_key, &phone);
    let mut items = Vec::new();
    for o in state.store().orders_by_phone_hash(&hash, 50).await? {
        // A lookup by the requester's number joins their orders: only those whose
        // requester the viewer may see (a report passed up hides its reporter).
        if viewer.can_see(&org, &o) && viewer.sees_identity(&org, &o) {
            items.push(view_for(state, viewer, &org, o, None, false).await?);
        }
    }
    Ok(items)
}

/// Orders about the same address within the duplicate window that this viewer may
/// see, newest first: what an operator checks before registering a matter again.
pub async fn same_address_for(
    state: &AppState,
    viewer: &Viewer,
    address: &str,
) -> ApiResult<Vec<OrderView>> {
    let org = state.org().await?;
    if viewer.staff_hotline(&org).is_none() {
        return Err(ApiError::forbidden("only hotline staff look up addresses"));
    }
    let Some(key) = address_key(address) else {
        return Ok(Vec::new());
    };
    let since = state.now() - chrono::Duration::days(state.config().duplicate_window_days);
    let mut items = Vec::new();
    for o in state.store().orders_by_address_key(&key, since, 50).await? {
        if viewer.can_see(&org, &o) && viewer.sees_identity(&org, &o) {
            items.push(view_for(state, viewer, &org, o, None, false).await?);
        }
    }
    Ok(items)
}

/// The filters of an order list (API query string and console form alike).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct ListParams {
    pub status: Option<Status>,
    pub kind: Option<Kind>,
    pub unit: Option<String>,
    pub region: Option<String>,
    pub sla: Option<Sla>,
    pub due_before: Option<String>,
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<u32>,
    /// `pending`: only orders with an extension waiting for a decision.
    pub extension: Option<String>,
    /// `deadline`: soonest deadline first (one page, no cursor).
    pub sort: Option<String>,
    /// `TOP` or `TOP/SUB` of the domain taxonomy.
    pub domain: Option<String>,
    /// A work queue: `callback` is the replied orders awaiting callback, oldest first.
    pub queue: Option<Queue>,
    /// Only orders whose current callback or evaluation found this (`dissatisfied`:
    /// the 不满意 list).
    pub evaluation: Option<CallbackResult>,
    /// `enterprise`: only the requests of enterprises (涉企诉求).
    pub requester: Option<String>,
    /// `sub_units`: instead of the caller's unit's orders, those of the handling units
    /// below it (a district government's townships; 二级派单), read only.
    pub scope: Option<String>,
}

/// A named work queue of the order list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// 待回访: replied, the callback not yet made; oldest first.
    Callback,
    /// 待审核答复: replies waiting for the hotline's review; oldest first.
    Review,
}

/// One page of a list, newest first.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = OrderPage)]
pub struct Page {
    pub items: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

/// Most orders a text search hands to the list query: beyond this, the best matches.
const TEXT_HITS: usize = 2000;

/// The orders the Chinese index finds for `q` (before any visibility rule: the list
/// query applies those), and how far the index has caught up.
async fn text_hits(state: &AppState, q: &str) -> ApiResult<(Vec<OrderId>, i64)> {
    let index = state.order_search().shared();
    let synonyms = state.synonyms().await?;
    let q: String = q.chars().take(200).collect();
    tokio::task::spawn_blocking(move || {
        let ids = index.search_ids(&q, &synonyms, TEXT_HITS)?;
        Ok::<_, hotline_search::SearchError>((
            ids.into_iter().map(OrderId::new).collect(),
            index.indexed_upto(),
        ))
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?
    .map_err(|e| ApiError::internal(e.to_string()))
}

/// The orders a viewer may see that match the filters: the use case behind the API
/// list and the console's queues.
pub async fn list_for(state: &AppState, viewer: &Viewer, p: ListParams) -> ApiResult<Page> {
    let org = state.org().await?;
    let Some(f) = filter_for(state, viewer, &org, p).await? else {
        return Ok(Page {
            items: vec![],
            next_cursor: None,
        });
    };
    let orders = state.store().list_orders(&f).await?;
    let next_cursor = (!f.by_deadline && orders.len() == f.limit as usize)
        .then(|| orders.last().map(|o| o.id.to_string()))
        .flatten();
    let mut items = Vec::with_capacity(orders.len());
    for o in orders {
        items.push(view_for(state, viewer, &org, o, None, false).await?);
    }
    Ok(Page { items, next_cursor })
}

/// How many orders the filters find for the viewer, up to `cap`: a queue's badge.
pub async fn count_for(
    state: &AppState,
    viewer: &Viewer,
    p: ListParams,
    cap: u32,
) -> ApiResult<u64> {
    let org = state.org().await?;
    match filter_for(state, viewer, &org, p).await? {
        Some(f) => Ok(state.store().count_orders(&f, cap).await?),
        None => Ok(0),
    }
}

/// A filter that takes one value: set when given it, off when absent, 422 otherwise.
fn flag(field: &str, given: Option<&str>, only: &str) -> ApiResult<bool> {
    match given {
        None | Some("") => Ok(false),
        Some(v) if v == only => Ok(true),
        Some(_) => Err(ApiError::invalid(
            field,
            format!("the only value is `{only}`"),
        )),
    }
}

/// The list's filters as the store's, within what the viewer may see (`None`: they
/// see no orders).
async fn filter_for(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    p: ListParams,
) -> ApiResult<Option<OrderFilter>> {
    let Some(mut scope) = viewer.scope(org) else {
        return Ok(None);
    };
    if flag("scope", p.scope.as_deref(), "sub_units")? {
        let below = viewer.sub_units(org);
        if below.is_empty() {
            return Err(ApiError::invalid(
                "scope",
                "the caller's unit has no handling units below it",
            ));
        }
        scope = hotline_store::Scope::Units(below);
    }
    let mut f = OrderFilter::new(scope);
    f.status = p.status;
    f.kind = p.kind;
    f.unit = p
        .unit
        .as_deref()
        .map(|u| UnitCode::parse(u).map_err(|e| ApiError::invalid("unit", e.0)))
        .transpose()?;
    f.region = p
        .region
        .as_deref()
        .map(|r| RegionCode::parse(r).map_err(|e| ApiError::invalid("region", e.0)))
        .transpose()?;
    if let Some(q) = p.q.as_deref().filter(|q| !q.trim().is_empty()) {
        f.text_hits = Some(text_hits(state, q).await?);
    }
    f.text = p.q;
    f.registered_from = p
        .from
        .as_deref()
        .map(|s| dates::time("from", s, false))
        .transpose()?;
    f.registered_to =
        p.to.as_deref()
            .map(|s| dates::time("to", s, true))
            .transpose()?;
    if let Some(due) = p.due_before.as_deref() {
        f.awaiting_reply = true;
        f.deadline_before = Some(dates::time("due_before", due, true)?);
    }
    if let Some(sla) = p.sla {
        sla_filter(state, &mut f, sla).await?;
    }
    if let Some(queue) = p.queue {
        if p.status.is_some_and(|s| s != Status::Replied) {
            return Err(ApiError::invalid(
                "status",
                "the callback and review queues hold replied orders only",
            ));
        }
        f.status = Some(Status::Replied);
        // A reply under the hotline's review is not yet to be called back on.
        f.reply_review = Some(queue == Queue::Review);
        f.oldest_first = true;
    }
    f.evaluation = p.evaluation;
    f.enterprise = flag("requester", p.requester.as_deref(), "enterprise")?;
    let cursor = p
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map(OrderId::new)
                .map_err(|_| ApiError::invalid("cursor", "not a cursor from this API"))
        })
        .transpose()?;
    if f.oldest_first {
        f.after_id = cursor;
    } else {
        f.before_id = cursor;
    }
    f.limit = p.limit.unwrap_or(50).clamp(1, 200);
    if let Some(d) = p.domain.as_deref().filter(|d| !d.is_empty()) {
        let top_ok = hotline_domain::DOMAIN_TOPS.contains(&d.split('/').next().unwrap_or(""));
        if !top_ok || (d.contains('/') && DomainPath::parse(d).is_err()) {
            return Err(ApiError::invalid(
                "domain",
                "expected TOP or TOP/SUB of the taxonomy",
            ));
        }
        f.domain = Some(d.to_owned());
    }
    f.extension_pending = flag("extension", p.extension.as_deref(), "pending")?;
    f.by_deadline = match p.sort.as_deref() {
        None | Some("") | Some("newest") => false,
        Some("deadline") => true,
        Some(_) => return Err(ApiError::invalid("sort", "expected `newest` or `deadline`")),
    };
    Ok(Some(f))
}

/// `sla=` keeps to orders still waiting for a reply, as queues need.
async fn sla_filter(state: &AppState, f: &mut OrderFilter, sla: Sla) -> ApiResult<()> {
    let (rules, calendar) = (state.rules().await?, state.calendar().await?);
    let now = state.now();
    let today = now.with_timezone(&shanghai()).date_naive();
    let soon = end_of_day(calendar.add_workdays(today, rules.due_soon_days).value);
    let just_before_now = now - chrono::Duration::seconds(1);
    f.awaiting_reply = true;
    match sla {
        Sla::Overdue => f.deadline_before = Some(just_before_now),
        Sla::DueSoon => {
            f.deadline_after = Some(just_before_now);
            f.deadline_before = Some(f.deadline_before.map_or(soon, |b| b.min(soon)));
        }
        Sla::OnTrack => f.deadline_after = Some(soon),
    }
    Ok(())
}

/// The order if the viewer may see it; 404 alike for missing and invisible.
pub(crate) async fn visible_order(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    id: OrderId,
) -> ApiResult<Order> {
    match state.store().order(id).await? {
        Some(o) if viewer.can_see(org, &o) => Ok(o),
        _ => Err(ApiError::not_found()),
    }
}

/// [`perform`] on an input as it was read, which may have been refused: a refused
/// input on an order the caller may not see answers 404, as any other request on
/// it does.
pub async fn perform_input(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    id: OrderId,
    input: ApiResult<ActionInput>,
) -> ApiResult<OrderView> {
    match input {
        Ok(input) => perform(state, viewer, addr, id, input).await,
        Err(e) => {
            let org = state.org().await?;
            visible_order(state, viewer, &org, id).await?;
            Err(e)
        }
    }
}

/// An order id from a path; anything else names no order (404).
pub fn order_id(path: &str) -> ApiResult<OrderId> {
    path.parse::<i64>()
        .map(OrderId::new)
        .map_err(|_| ApiError::not_found())
}

/// Runs one action on one order for a viewer.
pub async fn perform(
    state: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    id: OrderId,
    input: ActionInput,
) -> ApiResult<OrderView> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let org = state.org().await?;
        let order = visible_order(state, viewer, &org, id).await?;
        let action = resolve(state, viewer, &org, &order, input.clone()).await?;
        let actor = viewer.actor_for(&org, &order);
        let (rules, calendar) = (state.rules().await?, state.calendar().await?);
        let ctx = Context {
            now: state.now(),
            rules: &rules,
            calendar: &calendar,
        };
        let t = apply(&order, action.clone(), &actor, &ctx)?;
        let reveal = matches!(action, Action::RevealPhone { .. });
        let cited = match &action {
            Action::Answer {
                article_id: Some(id),
                ..
            } => Some(*id),
            _ => None,
        };
        if let Some(id) = cited {
            crate::kb::check_citation(state, viewer, id).await?;
        }
        if reveal && order.requester.phone.is_none() {
            return Err(ApiError::invalid("phone", "this order has no phone number"));
        }
        let mut changes = vec![OrderChange {
            order: t.order.clone(),
            event: t.event,
        }];
        if let Action::Merge { into } = action {
            changes.push(absorb_into(state, &order, into, &actor, ctx.now).await?);
        }
        // The trail says who did what to which order; notes and personal data stay on
        // the order's own timeline.
        let mut detail =
            json!({"number": order.number, "from": order.status, "to": t.order.status});
        if matches!(
            action,
            Action::Correct { .. } | Action::ApproveCorrection { .. }
        ) {
            detail["changes"] = changes[0].event.data.clone();
        }
        let object = Some(format!("order:{}", order.id));
        let record = audit::by(
            viewer,
            addr,
            state,
            &format!("order.{}", input.name()),
            object,
            detail,
        );
        match state
            .store()
            .record_transitions(changes, Some(record))
            .await
        {
            Ok(()) => {
                if let Some(id) = cited {
                    crate::kb::count_use(state, id).await?;
                }
                if reveal {
                    tracing::info!(order = %order.number, by = %viewer.user.username, "phone revealed");
                }
                if t.order.hides_requester() != order.hides_requester() {
                    reindex_text(state, order.id).await;
                }
                let events = state.store().events(order.id).await?;
                return view_for(state, viewer, &org, t.order, Some(events), reveal).await;
            }
            Err(StoreError::VersionConflict) if attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

async fn absorb_into(
    state: &AppState,
    dup: &Order,
    into: OrderId,
    actor: &Actor,
    now: Timestamp,
) -> ApiResult<OrderChange> {
    let target = state
        .store()
        .order(into)
        .await?
        .ok_or_else(|| ApiError::invalid("into", "no such order"))?;
    if target.status == Status::Merged || !target.status.is_open() {
        return Err(ApiError::invalid(
            "into",
            "must be an open order that is not itself merged",
        ));
    }
    let t = absorb_duplicate(&target, dup, actor, now)?;
    Ok(OrderChange {
        order: t.order,
        event: t.event,
    })
}

/// The body of the actions that need none (`accept`, `close`): any JSON, or nothing.
#[derive(utoipa::ToSchema)]
pub struct EmptyBody {}

#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct ContentBody {
    pub content: String,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct AnswerBody {
    pub content: String,
    pub article_id: Option<i64>,
    /// Send it although it holds sensitive words (the sender has checked them).
    #[serde(default)]
    pub confirm_sensitive: bool,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct TriageBody {
    pub route: TriageRoute,
    pub note: String,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct DispatchBody {
    pub unit: String,
    #[serde(default)]
    pub co_units: Vec<String>,
    pub note: Option<String>,
    /// `TOP/SUB` of the taxonomy: classifies the order as it goes. Required of an
    /// order without a domain dispatched to a unit (422 `domain_required`).
    #[serde(default)]
    pub domain: Option<String>,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct ReasonBody {
    pub reason: String,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct NoteOptBody {
    pub note: Option<String>,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct NoteBody {
    pub note: String,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct ExtensionBody {
    pub days: u32,
    pub reason: String,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct ReplyBody {
    pub content: String,
    pub resolved: bool,
    /// Send it although it holds sensitive words (the sender has checked them).
    #[serde(default)]
    pub confirm_sensitive: bool,
}
/// An interim reply (阶段性答复): the plan, and the day the unit expects to finish.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct InterimReplyBody {
    pub content: String,
    /// `YYYY-MM-DD`, from today to a year ahead.
    pub planned_date: String,
    /// Send it although it holds sensitive words (the sender has checked them).
    #[serde(default)]
    pub confirm_sensitive: bool,
}
/// A correction of the order's classification or place (纠错): each field given
/// replaces the order's, at least one; the reason goes on the timeline.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct CorrectBody {
    pub kind: Option<Kind>,
    /// `TOP/SUB` of the taxonomy.
    pub domain: Option<String>,
    /// A region code; the order stays with its hotline (hand it down to move it).
    pub region: Option<RegionCode>,
    /// A 9-digit town or street code within the (corrected) region; `""` clears it.
    pub street: Option<String>,
    /// The matter's address; `""` clears it.
    pub address: Option<String>,
    pub reason: String,
}
/// A second-level dispatch (二级派单) to a sub-unit of the lead unit.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct ForwardBody {
    /// The sub-unit: a handling unit below the lead unit (code or name).
    pub unit: String,
    /// `YYYY-MM-DD`, from today to the order's own deadline (that day if left out).
    pub deadline: Option<String>,
    pub note: Option<String>,
}
/// The sub-unit's reply to the lead unit.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct ForwardReplyBody {
    pub content: String,
    pub resolved: bool,
}
/// A unit's request to correct the order's kind, for the dispatcher to decide.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct CorrectionRequestBody {
    pub kind: Kind,
    pub reason: String,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct CallbackBody {
    pub result: CallbackResult,
    pub resolved: Option<bool>,
    pub note: Option<String>,
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum OrderRef {
    Id(i64),
    Number(String),
}
#[derive(Clone, Deserialize, utoipa::ToSchema)]
pub struct MergeBody {
    pub into: OrderRef,
}

impl CallbackBody {
    /// `resolved` may be left out only when the requester could not be reached.
    pub fn resolved(&self) -> ApiResult<bool> {
        match (self.resolved, self.result) {
            (Some(r), _) => Ok(r),
            (None, CallbackResult::Unreachable) => Ok(false),
            (None, _) => Err(ApiError::invalid("resolved", "missing field `resolved`")),
        }
    }
}

/// An action's input as the caller gave it: the API's JSON body, or a console form,
/// before it is checked against the order (units by code, the merge target by id or
/// number). [`perform`] takes it.
#[derive(Clone)]
pub enum ActionInput {
    Answer(AnswerBody),
    Triage(TriageBody),
    Dispatch(DispatchBody),
    Accept,
    Return(ReasonBody),
    ApproveReturn(NoteOptBody),
    RejectReturn(NoteOptBody),
    RequestExtension(ExtensionBody),
    ApproveExtension(NoteOptBody),
    RejectExtension(NoteOptBody),
    Reply(ReplyBody),
    Note(ContentBody),
    Callback(CallbackBody),
    Reopen(ReasonBody),
    Close,
    Urge(NoteBody),
    Supervise(NoteBody),
    Escalate(NoteBody),
    Merge(MergeBody),
    RevealPhone(ReasonBody),
    ApproveReply(NoteOptBody),
    RejectReply(ReasonBody),
    Recall(NoteOptBody),
    EscalateHandling(ReasonBody),
    AcceptEscalation(NoteOptBody),
    DeclineEscalation(ReasonBody),
    TakeOver(ReasonBody),
    LineTakeOver(ReasonBody),
    InterimReply(InterimReplyBody),
    Correct(CorrectBody),
    RequestCorrection(CorrectionRequestBody),
    ApproveCorrection(NoteOptBody),
    RejectCorrection(NoteOptBody),
    Forward(ForwardBody),
    AcceptForward,
    ReturnForward(ReasonBody),
    ReplyForward(ForwardReplyBody),
    RecallForward(NoteOptBody),
}

impl ActionInput {
    /// The named action's JSON body (`accept` and `close` take any body, or none).
    pub fn from_json(name: ActionName, body: &[u8]) -> ApiResult<Self> {
        use ActionName as N;
        Ok(match name {
            N::Answer => Self::Answer(parse_json(body)?),
            N::Triage => Self::Triage(parse_json(body)?),
            N::Dispatch => Self::Dispatch(parse_json(body)?),
            N::Accept => Self::Accept,
            N::Return => Self::Return(parse_json(body)?),
            N::ApproveReturn => Self::ApproveReturn(parse_json(body)?),
            N::RejectReturn => Self::RejectReturn(parse_json(body)?),
            N::RequestExtension => Self::RequestExtension(parse_json(body)?),
            N::ApproveExtension => Self::ApproveExtension(parse_json(body)?),
            N::RejectExtension => Self::RejectExtension(parse_json(body)?),
            N::Reply => Self::Reply(parse_json(body)?),
            N::Note => Self::Note(parse_json(body)?),
            N::Callback => Self::Callback(parse_json(body)?),
            N::Reopen => Self::Reopen(parse_json(body)?),
            N::Close => Self::Close,
            N::Urge => Self::Urge(parse_json(body)?),
            N::Supervise => Self::Supervise(parse_json(body)?),
            N::Escalate => Self::Escalate(parse_json(body)?),
            N::Merge => Self::Merge(parse_json(body)?),
            N::RevealPhone => Self::RevealPhone(parse_json(body)?),
            N::ApproveReply => Self::ApproveReply(parse_json(body)?),
            N::RejectReply => Self::RejectReply(parse_json(body)?),
            N::Recall => Self::Recall(parse_json(body)?),
            N::EscalateHandling => Self::EscalateHandling(parse_json(body)?),
            N::AcceptEscalation => Self::AcceptEscalation(parse_json(body)?),
            N::DeclineEscalation => Self::DeclineEscalation(parse_json(body)?),
            N::TakeOver => Self::TakeOver(parse_json(body)?),
            N::LineTakeOver => Self::LineTakeOver(parse_json(body)?),
            N::InterimReply => Self::InterimReply(parse_json(body)?),
            N::Correct => Self::Correct(parse_json(body)?),
            N::RequestCorrection => Self::RequestCorrection(parse_json(body)?),
            N::ApproveCorrection => Self::ApproveCorrection(parse_json(body)?),
            N::RejectCorrection => Self::RejectCorrection(parse_json(body)?),
            N::Forward => Self::Forward(parse_json(body)?),
            N::AcceptForward => Self::AcceptForward,
            N::ReturnForward => Self::ReturnForward(parse_json(body)?),
            N::ReplyForward => Self::ReplyForward(parse_json(body)?),
            N::RecallForward => Self::RecallForward(parse_json(body)?),
        })
    }

    pub fn name(&self) -> ActionName {
        use ActionName as N;
        match self {
            Self::Answer(_) => N::Answer,
            Self::Triage(_) => N::Triage,
            Self::Dispatch(_) => N::Dispatch,
            Self::Accept => N::Accept,
            Self::Return(_) => N::Return,
            Self::ApproveReturn(_) => N::ApproveReturn,
            Self::RejectReturn(_) => N::RejectReturn,
            Self::RequestExtension(_) => N::RequestExtension,
            Self::ApproveExtension(_) => N::ApproveExtension,
            Self::RejectExtension(_) => N::RejectExtension,
            Self::Reply(_) => N::Reply,
            Self::Note(_) => N::Note,
            Self::Callback(_) => N::Callback,
            Self::Reopen(_) => N::Reopen,
            Self::Close => N::Close,
            Self::Urge(_) => N::Urge,
            Self::Supervise(_) => N::Supervise,
            Self::Escalate(_) => N::Escalate,
            Self::Merge(_) => N::Merge,
            Self::RevealPhone(_) => N::RevealPhone,
            Self::ApproveReply(_) => N::ApproveReply,
            Self::RejectReply(_) => N::RejectReply,
            Self::Recall(_) => N::Recall,
            Self::EscalateHandling(_) => N::EscalateHandling,
            Self::AcceptEscalation(_) => N::AcceptEscalation,
            Self::DeclineEscalation(_) => N::DeclineEscalation,
            Self::TakeOver(_) => N::TakeOver,
            Self::LineTakeOver(_) => N::LineTakeOver,
            Self::InterimReply(_) => N::InterimReply,
            Self::Correct(_) => N::Correct,
            Self::RequestCorrection(_) => N::RequestCorrection,
            Self::ApproveCorrection(_) => N::ApproveCorrection,
            Self::RejectCorrection(_) => N::RejectCorrection,
            Self::Forward(_) => N::Forward,
            Self::AcceptForward => N::AcceptForward,
            Self::ReturnForward(_) => N::ReturnForward,
            Self::ReplyForward(_) => N::ReplyForward,
            Self::RecallForward(_) => N::RecallForward,
        }
    }
}

/// The lifecycle's action from the caller's input: lengths checked, units and the
/// merge target looked up where the viewer may see them.
async fn resolve(
    state: &AppState,
    viewer: &Viewer,
    org: &Org,
    order: &Order,
    input: ActionInput,
) -> ApiResult<Action> {
    use ActionInput as I;
    Ok(match input {
        I::Answer(b) => {
            crate::reply_review::check_public_text(
                state,
                "content",
                &b.content,
                b.confirm_sensitive,
            )
            .await?;
            Action::Answer {
                content: b.content,
                article_id: b.article_id,
            }
        }
        I::Triage(b) => Action::Triage {
            route: b.route,
            note: b.note,
        },
        I::Dispatch(b) => {
            let (unit, co_units) = dispatch_targets(org, order, &b.unit, &b.co_units)?;
            // Handed to a sub-centre, the order must be of its remit.
            if unit.kind == UnitKind::Subcentre {
                let domain = order.domain.as_ref();
                crate::remit::check_intake(state, org, &unit.code, domain).await?;
            }
            let domain = given_domain(state, b.domain.as_deref()).await?;
            Action::Dispatch {
                unit,
                co_units,
                note: b.note,
                domain,
            }
        }
        I::Accept => Action::Accept,
        I::Close => Action::Close,
        I::Return(b) => Action::Return { reason: b.reason },
        I::Reopen(b) => Action::Reopen { reason: b.reason },
        I::RevealPhone(b) => Action::RevealPhone { reason: b.reason },
        I::ApproveReturn(b) => Action::ApproveReturn { note: b.note },
        I::RejectReturn(b) => Action::RejectReturn { note: b.note },
        I::ApproveExtension(b) => Action::ApproveExtension { note: b.note },
        I::RejectExtension(b) => Action::RejectExtension { note: b.note },
        I::RequestExtension(b) => Action::RequestExtension {
            days: b.days,
            reason: b.reason,
        },
        I::Reply(b) => {
            check_len("content", &b.content, CONTENT_MAX, true)?;
            crate::reply_review::check_public_text(
                state,
                "content",
                &b.content,
                b.confirm_sensitive,
            )
            .await?;
            Action::Reply {
                review: crate::reply_review::needs_review(state, order).await?,
                content: b.content,
                resolved: b.resolved,
            }
        }
        I::InterimReply(b) => {
            check_len("content", &b.content, CONTENT_MAX, true)?;
            let planned = dates::day("planned_date", b.planned_date.trim())?;
            crate::reply_review::check_public_text(
                state,
                "content",
                &b.content,
                b.confirm_sensitive,
            )
            .await?;
            Action::InterimReply {
                content: b.content,
                planned,
            }
        }
        I::Correct(b) => correction(state, org, order, b).await?,
        I::RequestCorrection(b) => {
            check_len("reason", &b.reason, REASON_MAX, true)?;
            Action::RequestCorrection {
                kind: b.kind,
                reason: b.reason,
            }
        }
        I::Forward(b) => Action::Forward {
            unit: {
                opt_len("note", &b.note, REASON_MAX)?;
                sub_unit(org, order, &b.unit)?
            },
            deadline: b
                .deadline
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(|d| dates::day("deadline", d))
                .transpose()?,
            note: b.note,
        },
        I::AcceptForward => Action::AcceptForward,
        I::ReturnForward(b) => {
            check_len("reason", &b.reason, REASON_MAX, true)?;
            Action::ReturnForward { reason: b.reason }
        }
        I::ReplyForward(b) => {
            check_len("content", &b.content, CONTENT_MAX, true)?;
            Action::ReplyForward {
                content: b.content,
                resolved: b.resolved,
            }
        }
        I::RecallForward(b) => {
            opt_len("note", &b.note, REASON_MAX)?;
            Action::RecallForward { note: b.note }
        }
        I::ApproveCorrection(b) => {
            opt_len("note", &b.note, REASON_MAX)?;
            Action::ApproveCorrection { note: b.note }
        }
        I::RejectCorrection(b) => {
            opt_len("note", &b.note, REASON_MAX)?;
            Action::RejectCorrection { note: b.note }
        }
        I::ApproveReply(b) => Action::ApproveReply { note: b.note },
        I::RejectReply(b) => Action::RejectReply { reason: b.reason },
        I::Recall(b) => Action::Recall { note: b.note },
        I::Note(b) => {
            check_len("content", &b.content, CONTENT_MAX, true)?;
            Action::Note { content: b.content }
        }
        I::Callback(b) => Action::Callback {
            result: b.result,
            resolved: b.resolved()?,
            note: b.note,
        },
        I::Urge(b) => Action::Urge { note: b.note },
        I::Supervise(b) => Action::Supervise { note: b.note },
        I::Escalate(b) => Action::Escalate {
            note: b.note,
            to: org.hotline_above(&order.hotline).cloned(),
        },
        I::EscalateHandling(b) => {
            check_len("reason", &b.reason, REASON_MAX, true)?;
            Action::EscalateHandling { reason: b.reason }
        }
        I::AcceptEscalation(b) => Action::AcceptEscalation { note: b.note },
        I::DeclineEscalation(b) => {
            check_len("reason", &b.reason, REASON_MAX, true)?;
            Action::DeclineEscalation { reason: b.reason }
        }
        I::TakeOver(b) => {
            check_len("reason", &b.reason, REASON_MAX, true)?;
            Action::TakeOver { reason: b.reason }
        }
        I::LineTakeOver(b) => {
            check_len("reason", &b.reason, REASON_MAX, true)?;
            // A deactivated head takes nothing on.
            let head_active = viewer
                .user
                .unit
                .as_ref()
                .and_then(|u| org.get(u))
                .is_some_and(|u| u.active);
            if viewer.heads_line_of_lead(org, order) && !head_active {
                return Err(ApiError::forbidden(
                    "a deactivated unit takes no matter over",
                ));
            }
            Action::LineTakeOver { reason: b.reason }
        }
        I::Merge(b) => {
            let target = match b.into {
                OrderRef::Id(id) => state.store().order(OrderId::new(id)).await?,
                OrderRef::Number(n) => match OrderNumber::parse(&n) {
                    Ok(n) => state.store().order_by_number(&n).await?,
                    Err(_) => None,
                },
            };
            // Merging writes to the target: an order the viewer acts on, not one they
            // only read (an order their hotline passed up).
            let target = target
                .filter(|t| viewer.is_staff_of(org, t))
                .ok_or_else(|| ApiError::invalid("into", "no such order"))?;
            Action::Merge { into: target.id }
        }
    })
}

/// The sub-unit a forward names: an active handling unit below the order's lead unit.
fn sub_unit(org: &Org, order: &Order, given: &str) -> ApiResult<UnitCode> {
    let lead = order
        .unit
        .as_ref()
        .ok_or_else(|| ApiError::invalid("unit", "the order is at no unit"))?;
    let unit = active_unit(org, "unit", given, lead)?;
    let code = unit.code.clone();
    let below = code != *lead && org.is_same_or_above(lead, &code);
    if !below || unit.kind.takes_requests() {
        return Err(ApiError::invalid(
            "unit",
            format!("unit {code} is not a sub-unit of {lead}"),
        ));
    }
    Ok(code)
}

/// An active unit named by its code or by its name as people type it (a name is
/// looked up below `within`; see `Org::resolve_within`).
fn active_unit<'a>(
    org: &'a Org,
    field: &str,
    text: &str,
    within: &UnitCode,
) -> ApiResult<&'a hotline_store::UnitRecord> {
    let code = org
        .resolve_within(text, Some(within))
        .map_err(|why| ApiError::invalid(field, why))?;
    let u = org
        .get(&code)
        .ok_or_else(|| unknown_unit(field, code.as_str()))?;
    if !u.active {
        return Err(ApiError::invalid(
            field,
            format!("unit {code} is deactivated and receives no dispatches"),
        ));
    }
    Ok(u)
}

/// A correction checked as an intake is: a domain of the taxonomy, a region on the
/// list and a street within it. A street of the old region does not survive a region
/// correction that leaves it out.
async fn correction(
    state: &AppState,
    org: &Org,
    order: &Order,
    b: CorrectBody,
) -> ApiResult<Action> {
    check_len("reason", &b.reason, REASON_MAX, true)?;
    opt_len("address", &b.address, 500)?;
    let domain = given_domain(state, b.domain.as_deref()).await?;
    // A sub-centre keeps to its remit after a correction as at intake.
    if domain.is_some() {
        crate::remit::check_intake(state, org, &order.hotline, domain.as_ref()).await?;
    }
    let region = b.region.clone().unwrap_or_else(|| order.region.clone());
    let street = match (&b.street, &b.region) {
        (Some(street), _) => Some(place_of(state, &region, Some(street)).await?),
        (None, Some(_)) => {
            // The region must be on the list; the old street stays if it lies in it.
            place_of(state, &region, None).await?;
            let kept = place_of(state, &region, order.street.as_deref()).await;
            Some(kept.unwrap_or(None))
        }
        (None, None) => None,
    };
    let address = b
        .address
        .map(|a| Some(a.trim().to_owned()).filter(|a| !a.is_empty()));
    Ok(Action::Correct {
        fix: Correction {
            kind: b.kind,
            domain,
            region: b.region,
            street,
            address,
        },
        reason: b.reason,
    })
}

/// Resolves a dispatch's lead unit and co-units: they must exist, be active, and lie
/// under the order's owning hotline; a hotline target hands the order down.
fn dispatch_targets(
    org: &Org,
    order: &Order,
    unit: &str,
    co: &[String],
) -> ApiResult<(DispatchTarget, Vec<UnitCode>)> {
    let resolve = |field: &str, text: &str| -> ApiResult<DispatchTarget> {
        let u = active_unit(org, field, text, org.dispatch_root(&order.hotline))?;
        let code = u.code.clone();
        if !org.in_dispatch_tree(&order.hotline, &code) {
            return Err(ApiError::invalid(
                field,
                format!("unit {code} is not under hotline {}", order.hotline),
            ));
        }
        Ok(DispatchTarget { code, kind: u.kind })
    };
    let lead = resolve("unit", unit)?;
    // A sub-centre works for its remit in the tree above it: it dispatches to handling
    // units, and hands nothing to another hotline (which it could not see again).
    let owner_is_sub_centre = org
        .get(&order.hotline)
        .is_some_and(|u| u.kind == UnitKind::Subcentre);
    if owner_is_sub_centre && lead.kind.takes_requests() {
        return Err(ApiError::invalid(
            "unit",
            "a sub-centre dispatches to handling units only",
        ));
    }
    let mut co_units = Vec::new();
    for c in co {
        let t = resolve("co_units", c)?;
        if t.kind.takes_requests() || lead.kind.takes_requests() {
            return Err(ApiError::invalid(
                "co_units",
                "co-units are handling units, and a hand-down has none",
            ));
        }
        if !co_units.contains(&t.code) {
            co_units.push(t.code);
        }
    }
    Ok((lead, co_units))
}

/// The order's text in the full-text index again, as it stands (a corrected kind
/// withholds a whistleblower there too). The order itself is written: a failure is
/// logged and the index follower tries again at its next pass until it succeeds.
async fn reindex_text(state: &AppState, id: OrderId) {
    let search = state.order_search();
    search.mark_stale(id.get());
    if let Err(e) = search.retry_stale(state).await {
        tracing::warn!(order = %id, error = %e.message, "order text not indexed again yet");
    }
}
