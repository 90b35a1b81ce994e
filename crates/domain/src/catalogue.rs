//! The dispatch catalogue (派单目录) of a hotline: which unit leads, and which help,
//! for a domain of the taxonomy in a region. Intake and dispatch take its best
//! match as the suggested unit; the dispatcher decides.
//!
//! An entry names a domain (`TOP` for the whole field, or `TOP/SUB`) and optionally a
//! region (the region and everything in it). The best entry for an order is the one
//! with the narrowest domain that matches, then the narrowest region; of equals, the
//! first listed.

use serde::{Deserialize, Serialize};

use crate::order::{DOMAIN_TOPS, DomainPath};
use crate::values::{InvalidValue, RegionCode, UnitCode};

/// Most entries one hotline's catalogue holds.
pub const MAX_ENTRIES: usize = 2000;
/// Most co-units one entry names.
pub const MAX_CO_UNITS: usize = 10;

/// One line of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogueEntry {
    /// `TOP` (the whole field) or `TOP/SUB` of the taxonomy.
    pub domain: String,
    /// The region it applies in (with everything in it); none: the hotline's whole area.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<RegionCode>,
    /// The lead unit (主办).
    pub unit: UnitCode,
    /// Units that help (协办).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_units: Vec<UnitCode>,
}

impl CatalogueEntry {
    /// Checks the entry's shape: a domain of the taxonomy's fields, co-units that are
    /// not the lead unit, and not too many of them.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        let top_ok = DOMAIN_TOPS.contains(&self.domain.split('/').next().unwrap_or(""));
        if !top_ok || (self.domain.contains('/') && DomainPath::parse(&self.domain).is_err()) {
            return Err(InvalidValue(format!(
                "domain must be TOP or TOP/SUB of the taxonomy, got {:?}",
                self.domain
            )));
        }
        if self.co_units.len() > MAX_CO_UNITS || self.co_units.contains(&self.unit) {
            return Err(InvalidValue(format!(
                "co_units: at most {MAX_CO_UNITS}, and not the lead unit"
            )));
        }
        Ok(())
    }

    /// How closely the entry fits an order's domain and region; none if it does not.
    fn fit(&self, domain: Option<&DomainPath>, region: &RegionCode) -> Option<(u8, usize)> {
        let domain = domain?;
        let by_domain = if self.domain == domain.to_string() {
            2
        } else if self.domain == domain.top() {
            1
        } else {
            return None;
        };
        let by_region = match &self.region {
            None => 0,
            Some(r) if r.contains(region) => r.as_str().trim_end_matches("00").len(),
            Some(_) => return None,
        };
        Some((by_domain, by_region))
    }
}

/// A hotline's catalogue, in the order its administrators keep it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DispatchCatalogue {
    pub entries: Vec<CatalogueEntry>,
}

impl DispatchCatalogue {
    /// The entry that fits an order best (see the module's rule), if any fits.
    pub fn best(
        &self,
        domain: Option<&DomainPath>,
        region: &RegionCode,
    ) -> Option<&CatalogueEntry> {
        let mut best: Option<((u8, usize), &CatalogueEntry)> = None;
        for e in &self.entries {
            if let Some(fit) = e.fit(domain, region)
                && best.is_none_or(|(b, _)| fit > b)
            {
                best = Some((fit, e));
            }
        }
        best.map(|(_, e)| e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(domain: &str, region: Option<&str>, unit: &str) -> CatalogueEntry {
        CatalogueEntry {
            domain: domain.into(),
            region: region.map(|r| RegionCode::parse(r).unwrap()),
            unit: UnitCode::parse(unit).unwrap(),
            co_units: Vec::new(),
        }
    }

    #[test]
    fn the_narrowest_domain_then_the_narrowest_region_wins() {
        let c = DispatchCatalogue {
            entries: vec![
                entry("social_management", None, "cd-cg"),
                entry("social_management/urban_management", None, "cd-hw"),
                entry(
                    "social_management/urban_management",
                    Some("510104"),
                    "cd-jj",
                ),
                entry(
                    "social_management/urban_management",
                    Some("510100"),
                    "cd-city",
                ),
            ],
        };
        let d = DomainPath::parse("social_management/urban_management").unwrap();
        let at = |r: &str| RegionCode::parse(r).unwrap();
        assert_eq!(
            c.best(Some(&d), &at("510104")).unwrap().unit.as_str(),
            "cd-jj"
        );
        assert_eq!(
            c.best(Some(&d), &at("510105")).unwrap().unit.as_str(),
            "cd-city"
        );
        assert_eq!(
            c.best(Some(&d), &at("510703")).unwrap().unit.as_str(),
            "cd-hw"
        );
        let other = DomainPath::parse("social_management/housing").unwrap();
        assert_eq!(
            c.best(Some(&other), &at("510104")).unwrap().unit.as_str(),
            "cd-cg"
        );
        let elsewhere = DomainPath::parse("public_services/roads").unwrap();
        assert!(c.best(Some(&elsewhere), &at("510104")).is_none());
        assert!(
            c.best(None, &at("510104")).is_none(),
            "unclassified: no suggestion"
        );
    }

    #[test]
    fn entries_are_checked() {
        assert!(entry("social_management", None, "a").validate().is_ok());
        assert!(entry("nowhere", None, "a").validate().is_err());
        assert!(entry("social_management/", None, "a").validate().is_err());
        let mut self_helping = entry("social_management", None, "a");
        self_helping.co_units = vec![UnitCode::parse("a").unwrap()];
        assert!(self_helping.validate().is_err());
    }
}
