//! Who may see what: the organisation tree and the rules that scope every read and
//! action to the caller. Every handler asks here; nothing else decides visibility.
//!
//! Hotline staff (operators, vendor operators, dispatchers, supervisors, inspectors:
//! the roles granting `see_hotline_orders`) belong to a unit of kind `hotline` and see
//! the orders of their hotline and of the hotlines below it. Handlers
//! (`handle_orders`) see the orders dispatched to their unit, as lead or co-unit, and
//! nothing else. An order outside the caller's view is answered exactly like one that
//! does not exist. Which roles grant which capability is
//! [`hotline_domain::capability`].

use hotline_domain::capability::any_grants;
use hotline_domain::{Actor, Capability, DomainPath, Order, RegionCode, Role, UnitCode, UnitKind};
use hotline_store::{Scope, UnitRecord, UserRecord};
use std::collections::HashMap;

/// The organisation tree, loaded whole (units number in the thousands at most).
#[derive(Debug, Default)]
pub struct Org {
    units: HashMap<UnitCode, UnitRecord>,
    children: HashMap<UnitCode, Vec<UnitCode>>,
}

impl Org {
    pub fn new(units: Vec<UnitRecord>) -> Self {
        let mut children: HashMap<UnitCode, Vec<UnitCode>> = HashMap::new();
        for u in &units {
            if let Some(p) = &u.parent {
                children.entry(p.clone()).or_default().push(u.code.clone());
            }
        }
        Org {
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
            children,
        }
    }

    pub fn get(&self, code: &UnitCode) -> Option<&UnitRecord> {
        self.units.get(code)
    }

    pub fn all(&self) -> impl Iterator<Item = &UnitRecord> {
        self.units.values()
    }

    /// Units whose name (or code) matches what was typed, best first: the exact name
    /// or code, then names containing it, then names holding its characters in order
    /// (`住建` finds 成都市住房和城乡建设局); shorter names first among equals.
    /// `within` keeps to the units below a hotline (itself excluded), active ones only.
    pub fn find_units(&self, q: &str, within: Option<&UnitCode>) -> Vec<&UnitRecord> {
        let q = q.trim();
        if q.is_empty() {
            return Vec::new();
        }
        let mut hits: Vec<(u8, &UnitRecord)> = self
            .all()
            .filter(|u| {
                within.is_none_or(|h| u.active && *h != u.code && self.is_same_or_above(h, &u.code))
            })
            .filter_map(|u| name_match(q, &u.name, u.code.as_str()).map(|m| (m, u)))
            .collect();
        hits.sort_by(|(a, x), (b, y)| {
            a.cmp(b)
                .then(x.name.chars().count().cmp(&y.name.chars().count()))
                .then(x.code.cmp(&y.code))
        });
        hits.into_iter().map(|(_, u)| u).collect()
    }

    /// The one unit below `hotline` that `text` names: a code, `名称（code）` as the
    /// pickers show it, a name, or the characters of one in order when only one unit
    /// has them. Otherwise why not, naming the candidates.
    pub fn resolve_unit(&self, text: &str, hotline: &UnitCode) -> Result<UnitCode, String> {
        self.resolve_within(text, Some(self.dispatch_root(hotline)))
    }

    /// [`Org::resolve_unit`] among the units below `within`, or all units.
    pub fn resolve_within(
        &self,
        text: &str,
        within: Option<&UnitCode>,
    ) -> Result<UnitCode, String> {
        let text = text.trim();
        let code = text
            .strip_suffix('）')
            .and_then(|t| t.rsplit_once('（'))
            .or_else(|| text.strip_suffix(')').and_then(|t| t.rsplit_once('(')))
            .map_or(text, |(_, code)| code);
        if let Ok(c) = UnitCode::parse(code)
            && self.units.contains_key(&c)
        {
            return Ok(c);
        }
        let hits = self.find_units(text, within);
        match hits.as_slice() {
            [] => Err(format!("no unit is named like {text:?}")),
            [one, ..] if one.name == text => Ok(one.code.clone()),
            [one] => Ok(one.code.clone()),
            [a, b, ..]
                if name_match(text, &a.name, a.code.as_str())
                    < name_match(text, &b.name, b.code.as_str()) =>
            {
                Ok(a.code.clone())
            }
            many => Err(format!(
                "{text:?} names several units: {}",
                many.iter()
                    .take(5)
                    .map(|u| format!("{}（{}）", u.name, u.code))
                    .collect::<Vec<_>>()
                    .join("、")
            )),
        }
    }

    /// Whether `upper` is `lower` or one of its ancestors.
    pub fn is_same_or_above(&self, upper: &UnitCode, lower: &UnitCode) -> bool {
        let mut at = Some(lower);
        let mut steps = 0;
        while let Some(code) = at {
            if code == upper {
                return true;
            }
            at = self.units.get(code).and_then(|u| u.parent.as_ref());
            steps += 1;
            if steps > 64 {
                return false;
            }
        }
        false
    }

    /// The nearest owning hotline (hotline or sub-centre) at or above `unit`.
    pub fn hotline_of(&self, unit: &UnitCode) -> Option<&UnitCode> {
        let mut at = self.units.get(unit);
        for _ in 0..64 {
            let u = at?;
            if u.kind.takes_requests() {
                return Some(&u.code);
            }
            at = u.parent.as_ref().and_then(|p| self.units.get(p));
        }
        None
    }

    /// The nearest owning hotline above `hotline` (none for the top one): a
    /// sub-centre's is its hotline.
    pub fn hotline_above(&self, hotline: &UnitCode) -> Option<&UnitCode> {
        let parent = self.units.get(hotline)?.parent.as_ref()?;
        self.hotline_of(parent)
    }

    /// The tree an owning hotline dispatches in: its own, and for a sub-centre, which
    /// handles its remit for the hotline above it, that hotline's.
    pub fn dispatch_root<'a>(&'a self, hotline: &'a UnitCode) -> &'a UnitCode {
        match self.units.get(hotline) {
            Some(u) if u.kind == UnitKind::Subcentre => u.parent.as_ref().unwrap_or(hotline),
            _ => hotline,
        }
    }

    /// Whether an order owned by `hotline` may be dispatched (or handed down) to
    /// `unit`: a unit of its dispatch tree, neither the owner nor the tree's root.
    pub fn in_dispatch_tree(&self, hotline: &UnitCode, unit: &UnitCode) -> bool {
        let root = self.dispatch_root(hotline);
        unit != hotline && unit != root && self.is_same_or_above(root, unit)
    }

    /// The units of the line `head` heads (条线), the head excluded.
    pub fn line_members(&self, head: &UnitCode) -> Vec<UnitCode> {
        let mut out: Vec<UnitCode> = self
            .units
            .values()
            .filter(|u| u.line_head.as_ref() == Some(head))
            .map(|u| u.code.clone())
            .collect();
        out.sort();
        out
    }

    /// Every unit in the subtree of `root`, `root` included.
    pub fn subtree(&self, root: &UnitCode) -> Vec<UnitCode> {
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(code) = stack.pop() {
            if let Some(kids) = self.children.get(&code) {
                stack.extend(kids.iter().cloned());
            }
            out.push(code);
        }
        out.sort();
        out
    }

    /// The owning hotlines (hotlines and sub-centres) in the subtree of `root`, `root`
    /// included.
    pub fn subtree_hotlines(&self, root: &UnitCode) -> Vec<UnitCode> {
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(code) = stack.pop() {
            if self
                .units
                .get(&code)
                .is_some_and(|u| u.kind.takes_requests())
            {
                out.push(code.clone());
            }
            if let Some(kids) = self.children.get(&code) {
                stack.extend(kids.iter().cloned());
            }
        }
        out.sort();
        out
    }

    /// The one hotline that takes requests for a region (portal and integration
    /// intake): from the root hotline down the tree of hotlines — a hotline's children
    /// that are hotlines — to the narrowest active one whose region contains it. A unit
    /// administrator can add nothing to that path (only hotline administrators create
    /// hotlines, within their own region); where stored data still has two candidates
    /// at one step, the narrower region and then the smaller code win, always the same.
    pub fn hotline_for_region(&self, region: &RegionCode) -> Option<UnitCode> {
        self.hotline_path(region, None)
            .last()
            .map(|u| u.code.clone())
    }

    /// The hotlines [`Org::hotline_for_region`] walks, top first: from `from` (or the
    /// root hotline) down to the narrowest active one whose region contains `region`.
    /// Empty when `from` is no active hotline containing the region.
    fn hotline_path(&self, region: &RegionCode, from: Option<&UnitCode>) -> Vec<&UnitRecord> {
        let covers =
            |u: &&UnitRecord| u.kind == UnitKind::Hotline && u.active && u.region.contains(region);
        let start = match from {
            Some(code) => self.units.get(code).filter(covers),
            None => {
                let roots = self.units.values().filter(|u| u.parent.is_none());
                pick_narrowest(roots.filter(covers))
            }
        };
        let mut path: Vec<&UnitRecord> = start.into_iter().collect();
        for _ in 0..64 {
            let Some(at) = path.last() else { break };
            let kids = self.children.get(&at.code).into_iter().flatten();
            match pick_narrowest(kids.filter_map(|c| self.units.get(c)).filter(covers)) {
                Some(next) => path.push(next),
                None => break,
            }
        }
        path
    }

    /// The one owning hotline that takes a request of `domain` from `region` (portal
    /// and integration intake), starting at `from` (an integration key's hotline) or
    /// the root: down the hotlines by region as [`Org::hotline_for_region`]; then,
    /// where an active sub-centre under a hotline of that path covers the region and
    /// has the domain in its remit (`remits`), that sub-centre — the one under the
    /// lowest hotline, then the narrowest region, then the smallest code, always the
    /// same. None when no hotline covers the region.
    pub fn owner_for(
        &self,
        region: &RegionCode,
        domain: Option<&DomainPath>,
        from: Option<&UnitCode>,
        remits: &HashMap<UnitCode, Remit>,
    ) -> Option<UnitCode> {
        let path = self.hotline_path(region, from);
        let hotline = path.last()?;
        let sub_centre = domain.and_then(|d| {
            path.iter()
                .enumerate()
                .flat_map(|(depth, h)| {
                    let kids = self.children.get(&h.code).into_iter().flatten();
                    kids.filter_map(|c| self.units.get(c))
                        .map(move |u| (depth, u))
                })
                .filter(|(_, u)| {
                    u.kind == UnitKind::Subcentre
                        && u.active
                        && u.region.contains(region)
                        && remits.get(&u.code).is_some_and(|r| r.covers(d))
                })
                .min_by(|(da, a), (db, b)| {
                    let depth = |u: &UnitRecord| u.region.as_str().trim_end_matches("00").len();
                    db.cmp(da)
                        .then(depth(b).cmp(&depth(a)))
                        .then_with(|| a.code.cmp(&b.code))
                })
                .map(|(_, u)| u.code.clone())
        });
        Some(sub_centre.unwrap_or_else(|| hotline.code.clone()))
    }

    /// The active hotline whose region is exactly `region`, if any: one region has one
    /// hotline.
    pub fn hotline_at(&self, region: &RegionCode) -> Option<&UnitRecord> {
        self.units
            .values()
            .find(|u| u.kind == UnitKind::Hotline && u.active && u.region == *region)
    }

    /// Whether a unit of `kind` may sit under `parent` in `region`: inside its parent's
    /// region, and a hotline or sub-centre under a hotline (a hotline under another unit
    /// would take requests it has no right to). The reason when not.
    pub fn placement_problem(
        &self,
        kind: UnitKind,
        parent: Option<&UnitCode>,
        region: &RegionCode,
    ) -> Option<(&'static str, String)> {
        let parent = parent.and_then(|p| self.units.get(p))?;
        if !parent.region.contains(region) {
            return Some((
                "region",
                format!("must lie within the parent unit's region {}", parent.region),
            ));
        }
        let takes_requests = matches!(kind, UnitKind::Hotline | UnitKind::Subcentre);
        if takes_requests && parent.kind != UnitKind::Hotline {
            return Some((
                "parent",
                "a hotline or sub-centre sits under a hotline".into(),
            ));
        }
        None
    }
}

/// A sub-centre's remit (受理范围): the domains whose requests it takes, each a field
/// (`market_supervision`) or a path (`market_supervision/food_safety`).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Remit {
    pub domains: Vec<String>,
}

impl Remit {
    pub fn covers(&self, d: &DomainPath) -> bool {
        self.domains
            .iter()
            .any(|r| r == d.top() || *r == d.to_string())
    }
}

fn pick_narrowest<'a>(units: impl Iterator<Item = &'a UnitRecord>) -> Option<&'a UnitRecord> {
    units.min_by(|a, b| {
        let depth = |u: &UnitRecord| u.region.as_str().trim_end_matches("00").len();
        depth(b).cmp(&depth(a)).then_with(|| a.code.cmp(&b.code))
    })
}

/// The logged-in caller, as access rules see them: a person, or an integration key
/// acting for a unit.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: UserRecord,
    /// For an integration key: its scopes, `create`, `read` and order actions (empty:
    /// all of its role's; see [`crate::auth::key_scope`]).
    pub key_actions: Option<Vec<String>>,
}

impl Viewer {
    /// The hotline whose rules (dispatch catalogue, reply review) a viewer reads or
    /// keeps: their own hotline — the one they are staff of, or the one they
    /// administer — or, for an installation administrator, who belongs to none, the
    /// one named (a hotline's staff or administrator may name theirs or one below).
    pub fn hotline_to_keep(
        &self,
        org: &Org,
        named: Option<&str>,
    ) -> crate::error::ApiResult<UnitCode> {
        use crate::error::ApiError;
        let own = self.staff_hotline(org).cloned().or_else(|| {
            self.grants(Capability::Administer)
                .then(|| self.home_hotline(org))
                .flatten()
        });
        if let Some(name) = named.filter(|n| !n.is_empty()) {
            let code = UnitCode::parse(name).map_err(|e| ApiError::invalid("hotline", e.0))?;
            let is_hotline = org.get(&code).is_some_and(|u| u.kind.takes_requests());
            if !is_hotline {
                return Err(ApiError::invalid(
                    "hotline",
                    format!("no such hotline: {code}"),
                ));
            }
            if self.is_installation_admin()
                || own.as_ref().is_some_and(|h| org.is_same_or_above(h, &code))
            {
                return Ok(code);
            }
            return Err(ApiError::forbidden("that hotline's rules are not yours"));
        }
        own.ok_or_else(|| ApiError::invalid("hotline", "name the hotline whose rules these are"))
    }

    pub fn new(user: UserRecord) -> Self {
        Viewer {
            user,
            key_actions: None,
        }
    }

    pub fn has(&self, role: Role) -> bool {
        self.user.roles.contains(&role)
    }

    /// Whether one of the caller's roles grants `capability`; how far it reaches (a
    /// hotline's subtree, a unit) is decided where it is used.
    pub fn grants(&self, capability: Capability) -> bool {
        any_grants(&self.user.roles, capability)
    }

    /// An administrator of the whole installation: one without a unit.
    pub fn is_installation_admin(&self) -> bool {
        self.grants(Capability::Administer) && self.user.unit.is_none()
    }

    /// The hotline this user works for as hotline staff, if any.
    /// The hotline a user belongs to: their unit if it is one, else the nearest above it.
    pub fn home_hotline(&self, org: &Org) -> Option<UnitCode> {
        let mut at = self.user.unit.clone();
        while let Some(code) = at {
            let unit = org.get(&code)?;
            if unit.kind.takes_requests() {
                return Some(code);
            }
            at = unit.parent.clone();
        }
        None
    }

    pub fn staff_hotline<'a>(&'a self, org: &Org) -> Option<&'a UnitCode> {
        let unit = self.user.unit.as_ref()?;
        let is_hotline = org.get(unit).is_some_and(|u| u.kind.takes_requests());
        (self.grants(Capability::SeeHotlineOrders) && is_hotline).then_some(unit)
    }

    fn handler_unit(&self) -> Option<&UnitCode> {
        self.user
            .unit
            .as_ref()
            .filter(|_| self.grants(Capability::HandleOrders))
    }

    /// Works for the order's owning hotline or a hotline above it.
    pub fn is_staff_of(&self, org: &Org, order: &Order) -> bool {
        self.staff_hotline(org)
            .is_some_and(|h| org.is_same_or_above(h, &order.hotline))
    }

    fn handles(&self, order: &Order) -> bool {
        self.handler_unit()
            .is_some_and(|u| order.units_at().any(|at| at == u))
    }

    /// A handler of a unit above the order's lead unit, co-unit or sub-unit (a district
    /// government over its townships): reads the order as a unit does, and acts on
    /// it only as its own units' actions allow.
    pub fn oversees_sub_units(&self, org: &Org, order: &Order) -> bool {
        self.handler_unit().is_some_and(|u| {
            order
                .units_at()
                .any(|at| at != u && org.is_same_or_above(u, at))
        })
    }

    /// The handling units below this handler's unit (二级派单's sub-units), sorted.
    pub fn sub_units(&self, org: &Org) -> Vec<UnitCode> {
        let Some(own) = self.handler_unit() else {
            return Vec::new();
        };
        org.subtree(own)
            .into_iter()
            .filter(|c| c != own)
            .filter(|c| org.get(c).is_some_and(|u| !u.kind.takes_requests()))
            .collect()
    }

    /// Works for a hotline the order came up from (提级办理), or one above it, while
    /// the order stays with a hotline above that one: they read it, and act on it no
    /// more. Handed down elsewhere, it is no longer theirs to read.
    pub fn passed_it_up(&self, org: &Org, order: &Order) -> bool {
        self.staff_hotline(org).is_some_and(|h| {
            order.escalated_from.iter().any(|from| {
                org.is_same_or_above(h, from) && org.is_same_or_above(&order.hotline, from)
            })
        })
    }

    pub fn can_see(&self, org: &Org, order: &Order) -> bool {
        self.is_staff_of(org, order)
            || self.handles(order)
            || self.passed_it_up(org, order)
            || self.oversees_line(org, order)
            || self.oversees_sub_units(org, order)
    }

    /// The line (条线) this viewer oversees: a line supervisor's unit, the line's head.
    pub fn line_head(&self) -> Option<&UnitCode> {
        self.user
            .unit
            .as_ref()
            .filter(|_| self.grants(Capability::OverseeLine))
    }

    /// A line supervisor at the head of the line of the order's lead unit or a
    /// co-unit: reads it as that unit would, urges and supervises it.
    pub fn oversees_line(&self, org: &Org, order: &Order) -> bool {
        self.line_head().is_some_and(|head| {
            order
                .units_at()
                .any(|u| org.get(u).and_then(|r| r.line_head.as_ref()) == Some(head))
        })
    }

    /// Whether the order's lead unit is of the line this viewer oversees (what they
    /// may take over).
    pub fn heads_line_of_lead(&self, org: &Org, order: &Order) -> bool {
        self.line_head().is_some_and(|head| {
            order
                .unit
                .as_ref()
                .and_then(|u| org.get(u))
                .and_then(|r| r.line_head.as_ref())
                == Some(head)
        })
    }

    /// Whether the requester's identity may be shown: never to a handling unit for a
    /// report or a confidential order.
    pub fn sees_identity(&self, org: &Org, order: &Order) -> bool {
        !order.hides_requester() || self.is_staff_of(org, order)
    }

    /// Whether this viewer may be shown that `from` is linked to `to` (a possible
    /// duplicate, a merge): `to` is an order they may see, and neither end withholds
    /// its requester from them — joining a report to its requester's other orders
    /// would name the whistleblower.
    pub fn sees_link(&self, org: &Org, from: &Order, to: &Order) -> bool {
        self.can_see(org, to) && self.sees_identity(org, from) && self.sees_identity(org, to)
    }

    /// What lists may return to this caller; `None` means nothing.
    pub fn scope(&self, org: &Org) -> Option<Scope> {
        if let Some(h) = self.staff_hotline(org) {
            return Some(Scope::Hotlines(org.subtree_hotlines(h)));
        }
        if let Some(head) = self.line_head() {
            let mut units = org.line_members(head);
            units.extend(self.handler_unit().cloned());
            return Some(Scope::Units(units));
        }
        self.handler_unit().map(|u| Scope::Unit(u.clone()))
    }

    pub fn actor_for(&self, org: &Org, order: &Order) -> Actor {
        Actor {
            username: self.user.username.clone(),
            roles: self.user.roles.clone(),
            unit: self.user.unit.clone(),
            hotline_staff: self.is_staff_of(org, order),
            requester: false,
            upper_hotline: self
                .staff_hotline(org)
                .filter(|h| **h != order.hotline && self.is_staff_of(org, order))
                .cloned(),
            hotline_above: org.hotline_above(&order.hotline).cloned(),
            // Urging, supervising and taking over: where the lead unit is of the line.
            line_overseer: self.heads_line_of_lead(org, order),
        }
    }

    /// Whether this administrator may create a unit of `kind` under `parent`: within
    /// their subtree, and hotlines and sub-centres only by an administrator of a hotline
    /// or of the installation — a department's administrator who could create a
    /// "hotline" would receive citizens' requests meant for another.
    pub fn may_create_unit(&self, org: &Org, kind: UnitKind, parent: Option<&UnitCode>) -> bool {
        let own_is_hotline = match &self.user.unit {
            None => true,
            Some(own) => org.get(own).is_some_and(|u| u.kind == UnitKind::Hotline),
        };
        let takes_requests = matches!(kind, UnitKind::Hotline | UnitKind::Subcentre);
        self.administers(org, parent) && (own_is_hotline || !takes_requests)
    }

    /// An administrator of the whole installation (no unit) or of a unit's subtree.
    pub fn administers(&self, org: &Org, unit: Option<&UnitCode>) -> bool {
        if !self.grants(Capability::Administer) {
            return false;
        }
        match (&self.user.unit, unit) {
            (None, _) => true,
            (Some(own), Some(target)) => org.is_same_or_above(own, target),
            (Some(_), None) => false,
        }
    }
}

/// How well `q` matches a unit: 0 the exact name or code, 1 a part of the name or
/// code, 2 the name's characters in order; none otherwise.
pub fn name_match(q: &str, name: &str, code: &str) -> Option<u8> {
    if q == name || q == code {
        return Some(0);
    }
    if name.contains(q) || code.contains(q) {
        return Some(1);
    }
    let mut rest = name.chars();
    q.chars()
        .all(|c| c.is_whitespace() || rest.any(|n| n == c))
        .then_some(2)
}
