//! The two-level domain taxonomy (诉求领域): the five fields of `docs/policy.md` §1,
//! each with sub-categories. The tree lives in the database, seeded from the shipped data;
//! administrators add sub-categories while the hotline runs.

use serde::{Deserialize, Serialize};

use crate::order::DomainPath;

/// One sub-category, with its place in the tree and its Chinese name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DomainCategory {
    pub path: DomainPath,
    pub top_name: String,
    pub name: String,
}

#[derive(Deserialize)]
struct SeedTop {
    code: String,
    name: String,
    subs: Vec<SeedSub>,
}

#[derive(Deserialize)]
struct SeedSub {
    code: String,
    name: String,
}

/// The Chinese names of the five top-level fields.
pub fn top_name(top: &str) -> &'static str {
    match top {
        "economic_regulation" => "经济调节",
        "market_supervision" => "市场监管",
        "social_management" => "社会管理",
        "public_services" => "公共服务",
        "environmental_protection" => "生态环境保护",
        _ => "",
    }
}

/// The shipped taxonomy that seeds a new database.
pub fn seed() -> Vec<DomainCategory> {
    let tops: Vec<SeedTop> = serde_json::from_str(include_str!("../data/taxonomy.json"))
        .expect("the shipped taxonomy is valid");
    tops.into_iter()
        .flat_map(|t| {
            t.subs.into_iter().map(move |s| DomainCategory {
                path: DomainPath::parse(&format!("{}/{}", t.code, s.code))
                    .expect("the shipped taxonomy uses valid paths"),
                top_name: t.name.clone(),
                name: s.name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_seed_has_all_five_fields_with_their_chinese_names() {
        let seed = super::seed();
        for top in crate::order::DOMAIN_TOPS {
            let cats: Vec<_> = seed.iter().filter(|c| c.path.top() == top).collect();
            assert!(!cats.is_empty(), "{top} has sub-categories");
            assert_eq!(cats[0].top_name, super::top_name(top));
        }
    }
}
