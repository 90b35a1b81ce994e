//! Small validated values. Each is parsed once at the edge and trusted after.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused; the message names the problem in words a person reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidValue(pub String);

macro_rules! string_value {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, InvalidValue> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
    };
}

/// A 6-digit administrative division code (GB/T 2260), e.g. `510104`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
        let province = s.get(0..2).and_then(|p| p.parse::<u8>().ok()).unwrap_or(0);
        // Province-level codes run from 11 (Beijing) to 82 (Macao).
        if !ok || !(11..=82).contains(&province) {
            return Err(InvalidValue(format!(
                "region must be a 6-digit GB/T 2260 code, got {s:?}"
            )));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The province this region lies in (`510104` → `510000`).
    pub fn province(&self) -> RegionCode {
        RegionCode(format!("{}0000", &self.0[..2]))
    }
    /// The prefecture-level city this region lies in (`510104` → `510100`).
    pub fn city(&self) -> RegionCode {
        RegionCode(format!("{}00", &self.0[..4]))
    }
    /// Whether `other` lies within this region (a province contains its cities, a city
    /// its districts; every region contains itself).
    pub fn contains(&self, other: &RegionCode) -> bool {
        // Codes are pairs of digits (province, city, county); trailing `00` pairs are
        // the levels this region does not narrow down.
        other.0.starts_with(self.0.trim_end_matches("00"))
    }
}
string_value!(RegionCode);

/// The stable unique id of a unit (a hotline, department, district, …).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !ok {
            return Err(InvalidValue(format!(
                "unit code must be 1–64 letters, digits, '-', '_' or '.', got {s:?}"
            )));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_value!(UnitCode);

/// The number printed to the requester: `YYYYMMDD-` and a daily sequence of at least
/// six digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct OrderNumber(String);

impl OrderNumber {
    pub fn new(day: chrono::NaiveDate, seq: u64) -> Self {
        Self(format!("{}-{seq:06}", day.format("%Y%m%d")))
    }
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let (day, seq) = s
            .split_once('-')
            .ok_or_else(|| InvalidValue(format!("not an order number: {s:?}")))?;
        let day_ok = day.len() == 8 && chrono::NaiveDate::parse_from_str(day, "%Y%m%d").is_ok();
        let seq_ok = seq.len() >= 6 && seq.bytes().all(|b| b.is_ascii_digit());
        if !day_ok || !seq_ok {
            return Err(InvalidValue(format!("not an order number: {s:?}")));
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
string_value!(OrderNumber);

/// The store's id of an order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(transparent)]
pub struct OrderId(i64);

impl OrderId {
    pub const fn new(id: i64) -> Self {
        OrderId(id)
    }
    /// The number the store gave the order.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The store's id of a user account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct UserId(pub i64);

/// A requester's phone number in its one canonical form, so that history and
/// duplicates find the same caller however the number was written: a mainland mobile
/// as its 11 digits (`+86`, `0086` or `86` before it, spaces and dashes dropped), a
/// landline as area code and number (`02887654321`; `+86 28 …` gains its `0`), a
/// local number of 7–8 digits as given until [`Phone::with_area_code`] completes it,
/// and a number abroad as `+` and its digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let digits: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.' | '\u{3000}'))
            .collect();
        let (plus, body) = match digits.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, digits.as_str()),
        };
        if body.len() < 5 || body.len() > 20 || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(InvalidValue(format!("not a phone number: {s:?}")));
        }
        let mobile = |n: &str| n.len() == 11 && n.starts_with('1');
        // The national number after China's country code, if it was written.
        let national = if plus {
            body.strip_prefix("86")
        } else if let Some(rest) = body.strip_prefix("0086") {
            Some(rest)
        } else {
            body.strip_prefix("86").filter(|rest| mobile(rest))
        };
        let canonical = match national {
            Some(n) if mobile(n) => n.to_owned(),
            Some(n) if n.starts_with('0') => n.to_owned(),
            Some(n) => format!("0{n}"),
            None if plus => format!("+{body}"),
            None => body.to_owned(),
        };
        // A number the canonical form would cut too short (`0086-1`) stays as written:
        // everything accepted before reads back, whatever was stored.
        if canonical.trim_start_matches('+').len() < 5 {
            return Ok(Self(digits));
        }
        Ok(Self(canonical))
    }

    /// A local number (7 or 8 digits, no area code) with the hotline's area code in
    /// front (`87654321` and `028` → `02887654321`); any other number as it is.
    pub fn with_area_code(self, area: &str) -> Self {
        let local = matches!(self.0.len(), 7 | 8) && !self.0.starts_with(['0', '1', '+']);
        let area_ok =
            area.len() >= 3 && area.starts_with('0') && area.bytes().all(|b| b.is_ascii_digit());
        if local && area_ok {
            Phone(format!("{area}{}", self.0))
        } else {
            self
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The number as shown by default: `138****1234` (first three and last four kept).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 7 {
            let keep = chars.len().saturating_sub(4).min(2);
            let tail: String = chars[chars.len().saturating_sub(2)..].iter().collect();
            return format!("{}****{tail}", chars[..keep].iter().collect::<String>());
        }
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    }
}
string_value!(Phone);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_has_one_canonical_form() {
        let canonical = |s: &str| Phone::parse(s).unwrap().as_str().to_owned();
        for mobile in [
            "13812345678",
            "138-1234-5678",
            "138 1234 5678",
            "+86 138 1234 5678",
            "+8613812345678",
            "0086 13812345678",
            "8613812345678",
            "(+86)138-1234-5678",
        ] {
            assert_eq!(canonical(mobile), "13812345678", "{mobile}");
        }
        assert_eq!(canonical("028-8765 4321"), "02887654321");
        assert_eq!(canonical("+86 28 87654321"), "02887654321");
        assert_eq!(canonical("0086-028-87654321"), "02887654321");
        assert_eq!(canonical("+1 415 555 0100"), "+14155550100");
        assert_eq!(canonical("12345"), "12345", "a service number stays");
        let local = Phone::parse("8765 4321").unwrap();
        assert_eq!(local.clone().with_area_code("028").as_str(), "02887654321");
        assert_eq!(local.with_area_code("").as_str(), "87654321");
        assert_eq!(
            Phone::parse("13812345678")
                .unwrap()
                .with_area_code("028")
                .as_str(),
            "13812345678"
        );
        assert!(Phone::parse("1234").is_err() && Phone::parse("138-abc").is_err());
        assert_eq!(canonical("0086-1"), "00861", "kept as written, as before");
        // Stored numbers written the old way read back canonical.
        let stored: Phone = serde_json::from_str("\"+8613812345678\"").unwrap();
        assert_eq!(stored.as_str(), "13812345678");
    }

    #[test]
    fn region_codes_are_six_digits_of_a_real_province() {
        assert!(RegionCode::parse("510104").is_ok());
        assert!(RegionCode::parse("51010").is_err());
        assert!(RegionCode::parse("5101044").is_err());
        assert!(RegionCode::parse("99a104").is_err());
        assert!(RegionCode::parse("000000").is_err());
    }

    #[test]
    fn regions_contain_their_subregions() {
        let sichuan = RegionCode::parse("510000").unwrap();
        let chengdu = RegionCode::parse("510100").unwrap();
        let jinjiang = RegionCode::parse("510104").unwrap();
        let mianyang = RegionCode::parse("510700").unwrap();
        assert!(sichuan.contains(&jinjiang));
        assert!(chengdu.contains(&jinjiang));
        assert!(!chengdu.contains(&mianyang));
        assert!(jinjiang.contains(&jinjiang));
        assert_eq!(jinjiang.city(), chengdu);
        assert_eq!(jinjiang.province(), sichuan);
    }

    #[test]
    fn phones_are_masked_to_the_first_three_and_last_four_digits() {
        assert_eq!(Phone::parse("13812341234").unwrap().masked(), "138****1234");
        assert_eq!(
            Phone::parse("138-1234-1234").unwrap().as_str(),
            "13812341234"
        );
        assert!(Phone::parse("call me").is_err());
    }

    #[test]
    fn order_numbers_are_a_date_and_a_six_digit_sequence() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(OrderNumber::new(day, 123).as_str(), "20261128-000123");
        assert!(OrderNumber::parse("20261128-000123").is_ok());
        assert!(OrderNumber::parse("20261328-000123").is_err());
        assert!(OrderNumber::parse("20261128-12").is_err());
    }
}

/// A unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters of the
/// code's set (digits and capitals without I, O, S, V, Z), the 3rd to 8th the
/// registering authority's region code, the last a check character: weights 3^i mod
/// 31 over the first 17, the check being (31 − sum mod 31) mod 31 in the same set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

const CREDIT_CODE_SET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

impl CreditCode {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let code = s.trim().to_ascii_uppercase();
        let bad = || InvalidValue(format!("not a unified social credit code: {s:?}"));
        let values: Vec<u32> = code
            .chars()
            .map(|c| CREDIT_CODE_SET.find(c).map(|i| i as u32))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        if values.len() != 18 || !code[2..8].bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let sum: u32 = values[..17]
            .iter()
            .enumerate()
            .map(|(i, v)| v * 3u32.pow(i as u32 % 30) % 31)
            .sum();
        let check = (31 - sum % 31) % 31;
        if values[17] != check {
            return Err(InvalidValue(format!(
                "the check character of {s:?} does not match (GB 32100-2015)"
            )));
        }
        Ok(Self(code))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CreditCode {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, InvalidValue> {
        Self::parse(&s)
    }
}
impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod credit_code_tests {
    use super::CreditCode;

    #[test]
    fn the_standards_example_passes_and_a_changed_character_fails() {
        // GB 32100-2015's own example.
        assert_eq!(
            CreditCode::parse("91350100m000100y43").unwrap().as_str(),
            "91350100M000100Y43"
        );
        for bad in [
            "91350100M000100Y44",
            "91350100M000100Y4",
            "91350100M000I00Y43",
            "913501X0M000100Y43",
            "",
        ] {
            assert!(CreditCode::parse(bad).is_err(), "{bad}");
        }
    }
}
