//! The one rule for text anyone sends: line breaks are kept as LF (CRLF and CR become
//! LF), tab is kept, and every other C0 control character and DEL is refused. NUL
//! above all: PostgreSQL cannot hold it in `jsonb`, and one stored order with it broke
//! every query that reads the order documents.

use serde_json::Value;
use std::borrow::Cow;

/// Whether `c` is refused in any text input.
pub fn is_refused_control(c: char) -> bool {
    (c.is_ascii_control() && c != '\n' && c != '\t' && c != '\r') || c == '\u{7f}'
}

/// `text` with CRLF and CR turned into LF, or the first refused character.
pub fn normalise(text: &str) -> Result<Cow<'_, str>, char> {
    if let Some(c) = text.chars().find(|c| is_refused_control(*c)) {
        return Err(c);
    }
    if !text.contains('\r') {
        return Ok(Cow::Borrowed(text));
    }
    Ok(Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n")))
}

/// `text` with line breaks normalised and refused characters dropped: for repairing
/// what was stored before the rule, where refusing is no longer possible.
pub fn scrub(text: &str) -> Cow<'_, str> {
    match normalise(text) {
        Ok(t) => t,
        Err(_) => {
            let kept: String = text.chars().filter(|c| !is_refused_control(*c)).collect();
            Cow::Owned(normalise(&kept).map(Cow::into_owned).unwrap_or_default())
        }
    }
}

/// Normalises every string of a JSON value in place, or answers the path of the first
/// string (or object key) holding a refused character, e.g. `requester.name`.
pub fn normalise_json(value: &mut Value) -> Result<(), String> {
    normalise_at(value, &mut Vec::new())
}

fn normalise_at(value: &mut Value, path: &mut Vec<String>) -> Result<(), String> {
    match value {
        Value::String(s) => match normalise(s) {
            Ok(Cow::Borrowed(_)) => Ok(()),
            Ok(Cow::Owned(t)) => {
                *s = t;
                Ok(())
            }
            Err(_) => Err(field_path(path)),
        },
        Value::Array(items) => items.iter_mut().enumerate().try_for_each(|(i, v)| {
            path.push(i.to_string());
            let r = normalise_at(v, path);
            path.pop();
            r
        }),
        Value::Object(map) => {
            if let Some(k) = map.keys().find(|k| normalise(k).is_err()) {
                path.push(k.chars().filter(|c| !c.is_control()).collect());
                return Err(field_path(path));
            }
            map.iter_mut().try_for_each(|(k, v)| {
                path.push(k.clone());
                let r = normalise_at(v, path);
                path.pop();
                r
            })
        }
        _ => Ok(()),
    }
}

fn field_path(path: &[String]) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        path.join(".")
    }
}

/// Drops refused characters from every string of a JSON value (see [`scrub`]); whether
/// anything changed.
pub fn scrub_json(value: &mut Value) -> bool {
    match value {
        Value::String(s) => match scrub(s) {
            Cow::Borrowed(_) => false,
            Cow::Owned(t) => {
                *s = t;
                true
            }
        },
        Value::Array(items) => items.iter_mut().fold(false, |acc, v| scrub_json(v) | acc),
        Value::Object(map) => map.values_mut().fold(false, |acc, v| scrub_json(v) | acc),
        _ => false,
    }
}

/// Stands in for a withheld name or number wherever someone typed it into a text.
pub const MASK: &str = "***";

/// The texts of a requester that must not reach a viewer from whom their identity is
/// withheld: the name (when long enough not to mask ordinary words) and the phone.
pub fn requester_secrets(name: Option<&str>, phone: Option<&str>) -> Vec<String> {
    let name = name.map(str::trim).filter(|n| n.chars().count() >= 2);
    let phone = phone.map(str::trim).filter(|p| !p.is_empty());
    name.into_iter().chain(phone).map(str::to_owned).collect()
}

/// `text` with every occurrence of each secret replaced by [`MASK`].
pub fn mask_secrets(text: &mut String, secrets: &[String]) {
    for s in secrets {
        if text.contains(s.as_str()) {
            *text = text.replace(s.as_str(), MASK);
        }
    }
}

/// An address reduced to what identifies the place: no spaces or punctuation (the
/// key of the possible-duplicate lookup).
pub fn address_key(address: &str) -> Option<String> {
    let key: String = address
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn line_breaks_become_lf_and_tab_stays() {
        assert_eq!(normalise("a\r\nb\rc\td").unwrap(), "a\nb\nc\td");
        assert!(matches!(normalise("plain 文本"), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn nul_other_c0_controls_and_del_are_refused() {
        for c in [
            '\0', '\u{1}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}', '\u{7f}',
        ] {
            assert_eq!(normalise(&format!("x{c}y")), Err(c), "{c:?}");
        }
        // C1 controls and other Unicode are text.
        assert!(normalise("\u{85}\u{200b}").is_ok());
    }

    #[test]
    fn a_json_body_names_the_field_with_the_control_character() {
        let mut v = json!({"requester": {"name": "王\u{0}五"}, "tags": ["a", "b\u{7f}"]});
        assert_eq!(normalise_json(&mut v), Err("requester.name".to_owned()));
        let mut v = json!({"tags": ["a", "b\u{7f}"]});
        assert_eq!(normalise_json(&mut v), Err("tags.1".to_owned()));
        let mut v = json!({"content": "一\r\n二"});
        normalise_json(&mut v).unwrap();
        assert_eq!(v["content"], "一\n二");
    }

    #[test]
    fn scrubbing_repairs_stored_text() {
        let mut v = json!({"content": "匿名\u{0}投毒\r\n", "n": 1});
        assert!(scrub_json(&mut v));
        assert_eq!(v, json!({"content": "匿名投毒\n", "n": 1}));
        assert!(!scrub_json(&mut v));
    }
}
