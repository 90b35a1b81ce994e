//! Summons triggers (约谈, `docs/policy.md` §7; defined in `docs/metrics.md`):
//! conditions an administrator sets, evaluated per unit over a month; a unit meeting
//! one is listed with the orders behind it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SummonsRule {
    /// At least `min` of the unit's orders were overdue in the month.
    OverdueOrders { min: u32 },
    /// Satisfaction under `below` (a fraction) over at least `min_evaluations`.
    LowSatisfaction { below: f64, min_evaluations: u32 },
    /// At least `min` reopens of the same matter (order) in the month.
    RepeatReopens { min: u32 },
}

impl SummonsRule {
    /// The rule in words, as the list shows it.
    pub fn describe(&self) -> String {
        match self {
            SummonsRule::OverdueOrders { min } => format!("当月超期工单 {min} 件及以上"),
            SummonsRule::LowSatisfaction {
                below,
                min_evaluations,
            } => format!(
                "满意率低于 {:.0}%（评价不少于 {min_evaluations} 件）",
                below * 100.0
            ),
            SummonsRule::RepeatReopens { min } => format!("同一事项重办 {min} 次及以上"),
        }
    }

    fn check(&self) -> Result<(), &'static str> {
        match self {
            SummonsRule::OverdueOrders { min } | SummonsRule::RepeatReopens { min }
                if !(1..=1000).contains(min) =>
            {
                Err("min must be 1–1000")
            }
            SummonsRule::LowSatisfaction {
                below,
                min_evaluations,
            } if !(0.0..=1.0).contains(below) || *min_evaluations == 0 => {
                Err("below must be 0–1 and min_evaluations at least 1")
            }
            _ => Ok(()),
        }
    }
}

/// The rules in force.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SummonsRules {
    pub rules: Vec<SummonsRule>,
}

impl Default for SummonsRules {
    fn default() -> Self {
        SummonsRules {
            rules: vec![
                SummonsRule::OverdueOrders { min: 3 },
                SummonsRule::LowSatisfaction {
                    below: 0.8,
                    min_evaluations: 20,
                },
                SummonsRule::RepeatReopens { min: 2 },
            ],
        }
    }
}

impl SummonsRules {
    pub fn check(&self) -> Result<(), &'static str> {
        if self.rules.is_empty() || self.rules.len() > 20 {
            return Err("between 1 and 20 rules");
        }
        self.rules.iter().try_for_each(SummonsRule::check)
    }
}

/// What a unit's month holds for the rules.
#[derive(Debug, Clone, Default)]
pub struct UnitMonth {
    /// Orders of the unit that were overdue in the month.
    pub overdue: Vec<i64>,
    /// Orders evaluated in the month (a result other than unreachable), and whether
    /// each evaluation was satisfied or fairly satisfied.
    pub evaluations: Vec<(i64, bool)>,
    /// Reopens in the month, per order.
    pub reopens: BTreeMap<i64, u32>,
}

/// A rule a unit met, and the orders behind it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Trigger {
    pub rule: SummonsRule,
    pub description: String,
    pub orders: Vec<i64>,
}

/// The rules the unit's month meets.
pub fn evaluate(rules: &SummonsRules, m: &UnitMonth) -> Vec<Trigger> {
    rules
        .rules
        .iter()
        .filter_map(|rule| {
            let orders = match rule {
                SummonsRule::OverdueOrders { min } => {
                    (m.overdue.len() >= *min as usize).then(|| m.overdue.clone())
                }
                SummonsRule::LowSatisfaction {
                    below,
                    min_evaluations,
                } => {
                    let n = m.evaluations.len();
                    let good = m.evaluations.iter().filter(|(_, s)| *s).count();
                    (n >= *min_evaluations as usize && (good as f64) < below * n as f64).then(
                        || {
                            let mut o: Vec<i64> = m
                                .evaluations
                                .iter()
                                .filter(|(_, s)| !s)
                                .map(|(id, _)| *id)
                                .collect();
                            o.dedup();
                            o
                        },
                    )
                }
                SummonsRule::RepeatReopens { min } => {
                    let o: Vec<i64> = m
                        .reopens
                        .iter()
                        .filter(|(_, n)| **n >= *min)
                        .map(|(id, _)| *id)
                        .collect();
                    (!o.is_empty()).then_some(o)
                }
            }?;
            Some(Trigger {
                rule: rule.clone(),
                description: rule.describe(),
                orders,
            })
        })
        .collect()
}
