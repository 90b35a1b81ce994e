//! The password policy: long enough, mixed, not the username, and not a common
//! password however it is dressed up.
//!
//! Length and character classes alone let `Password123` and `P@ssw0rd!!` through,
//! and they are the first guesses of every attacker. So the policy also compares the
//! password, taken apart the way people build such passwords, with a shipped list of
//! the most common passwords and the words under them (`data/common_passwords.txt`).

use std::collections::HashSet;
use std::sync::OnceLock;

/// At least 10 characters, three of the four character classes (lower, upper, digit,
/// other), not containing the username, and not common (see [`is_common`]).
pub fn check_password_policy(username: &str, password: &str) -> Result<(), String> {
    if password.chars().count() < 10 {
        return Err("must be at least 10 characters".into());
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("must mix three of: lower case, upper case, digits, other characters".into());
    }
    if !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("must not contain the username".into());
    }
    if is_common(password) {
        return Err("is too common: a well-known password, or one dressed up with capitals, digits or symbols".into());
    }
    Ok(())
}

fn common_list() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../data/common_passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

/// Whether a password is a common one, compared case-insensitively as a whole, with
/// the digits and symbols around its letters stripped (`Password123!`), with
/// look-alike characters read as letters (`P@ssw0rd`), by its letters alone
/// (`1qaz@WSX3edc`), and — when it is little more than digits — by those digits, or
/// as a run like `123456789` or `888888`.
pub fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    let read_as_letters: String = core.chars().map(look_alike).collect();
    let list = common_list();
    let listed = |s: &str| !s.is_empty() && list.contains(s);
    listed(&lower)
        || listed(core)
        || listed(&read_as_letters)
        || listed(&letters)
        || mostly_common_digits(&lower)
}

/// The letter a digit or symbol stands for in passwords like `p@55w0rd`.
fn look_alike(c: char) -> char {
    match c {
        '@' | '4' => 'a',
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '$' | '5' => 's',
        '7' => 't',
        _ => c,
    }
}

/// A password of at most three characters besides its digits, whose digits are a
/// listed number (`5201314`), a run up or down (`1234567890`), or one digit repeated.
fn mostly_common_digits(lower: &str) -> bool {
    let digits: String = lower.chars().filter(|c| c.is_ascii_digit()).collect();
    let others = lower.chars().count() - digits.len();
    if others > 3 || digits.len() < 5 {
        return false;
    }
    let up = "01234567890123456789";
    let down = "98765432109876543210";
    let repeated = digits.chars().all(|c| digits.starts_with(c));
    common_list().contains(digits.as_str())
        || up.contains(&digits)
        || down.contains(&digits)
        || repeated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_passwords_and_their_dressed_up_forms_are_common() {
        for p in [
            "Password123",
            "P@ssw0rd!!",
            "PASSWORD",
            "!!Password2026",
            "pa$$word-1",
            "Qwerty2026!",
            "Hotline12345!",
            "Admin@12345",
            "Aa1234567890",
            "Zz!9876543210",
            "Ab888888888",
            "Aa5201314!",
            "Woaini1314!",
            "1qaz@WSX3edc",
            "Zhang-1985-0612",
        ] {
            assert!(is_common(p), "{p}");
        }
    }

    #[test]
    fn passwords_that_merely_contain_a_common_word_are_not() {
        for p in [
            "Test-Password-1",
            "A-strong-password-1",
            "Lamp-Post-Tuesday-7",
            "New-Secret-2026",
            "Hl-abcdEFGH3467",
            "Aa1357924680",
        ] {
            assert!(!is_common(p), "{p}");
        }
    }

    #[test]
    fn the_policy_names_what_is_wrong() {
        assert_eq!(
            check_password_policy("alice", "short").unwrap_err(),
            "must be at least 10 characters"
        );
        assert!(check_password_policy("alice", "alice-Rules-99").is_err());
        assert!(
            check_password_policy("alice", "Password-2026")
                .unwrap_err()
                .contains("common")
        );
        assert!(check_password_policy("alice", "Lamp-Post-Tuesday-7").is_ok());
    }
}
