//! What each role may do besides acting on an order: the one table of capabilities.
//! `docs/permissions.md` ("Capabilities") mirrors it, and the permission tests fail
//! when the two differ. The actions on an order also depend on the order's state and
//! the actor's unit, and are decided by [`crate::lifecycle`]; how far a capability
//! reaches (a hotline's subtree, a unit) is the app's to decide.

use serde::{Deserialize, Serialize};

use crate::order::{Role, wire_enum};
use crate::values::InvalidValue;

wire_enum!(
    /// Something a role may do; [`Role::grants`] says which roles may.
    Capability {
        SeeHotlineOrders = "see_hotline_orders",
        HandleOrders = "handle_orders",
        RegisterOrders = "register_orders",
        LookUpCallers = "look_up_callers",
        EditKnowledge = "edit_knowledge",
        PublishKnowledge = "publish_knowledge",
        ReadReports = "read_reports",
        ReadSummons = "read_summons",
        RecordSummons = "record_summons",
        ReadAudit = "read_audit",
        Administer = "administer",
        OverseeLine = "oversee_line",
    }
);

impl Capability {
    /// The roles that grant this capability.
    pub fn roles(self) -> &'static [Role] {
        use Capability::*;
        use Role::*;
        match self {
            SeeHotlineOrders => &[Operator, VendorOperator, Dispatcher, Supervisor, Inspector],
            HandleOrders => &[Handler],
            RegisterOrders => &[Operator, VendorOperator, Dispatcher],
            LookUpCallers => &[Operator, VendorOperator, Dispatcher, Supervisor],
            EditKnowledge => &[KnowledgeEditor, Supervisor, Admin],
            PublishKnowledge => &[Supervisor, Admin],
            ReadReports => &[Supervisor, Inspector, Dispatcher, Admin],
            ReadSummons => &[Supervisor, Inspector, Admin],
            RecordSummons => &[Supervisor, Admin],
            ReadAudit => &[Supervisor, Admin],
            Administer => &[Admin],
            OverseeLine => &[LineSupervisor],
        }
    }
}

impl Role {
    pub fn grants(self, capability: Capability) -> bool {
        capability.roles().contains(&self)
    }
}

/// Whether any of `roles` grants `capability` (a person may hold several roles).
pub fn any_grants(roles: &[Role], capability: Capability) -> bool {
    roles.iter().any(|r| r.grants(capability))
}

/// The scopes an integration key can be issued with besides single order actions, by
/// the name stored with the key and used in the API, and the capabilities each lets the
/// key use, as far as the role the key acts in grants them.
pub const KEY_SCOPES: &[(&str, &[Capability])] = &[
    ("create", &[Capability::RegisterOrders]),
    (
        "read",
        &[
            Capability::SeeHotlineOrders,
            Capability::HandleOrders,
            Capability::LookUpCallers,
        ],
    ),
];

/// Whether a key issued for `scopes` (empty: everything) may use one of `needed`.
pub fn key_scopes_cover(scopes: &[String], needed: &[Capability]) -> bool {
    scopes.is_empty()
        || KEY_SCOPES.iter().any(|(name, covered)| {
            scopes.iter().any(|s| s == name) && needed.iter().any(|c| covered.contains(c))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_scope_covers_its_capabilities_and_no_other() {
        let scopes = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let create = scopes(&["create"]);
        assert!(key_scopes_cover(&create, &[Capability::RegisterOrders]));
        assert!(!key_scopes_cover(&create, &[Capability::LookUpCallers]));
        let read = scopes(&["read", "dispatch"]);
        assert!(key_scopes_cover(
            &read,
            &[Capability::SeeHotlineOrders, Capability::HandleOrders]
        ));
        assert!(!key_scopes_cover(&read, &[Capability::RegisterOrders]));
        assert!(key_scopes_cover(&[], &[Capability::RegisterOrders]));
        assert!(!key_scopes_cover(
            &scopes(&["dispatch"]),
            &[Capability::ReadAudit]
        ));
    }
}
