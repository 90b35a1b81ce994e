//! The app's top-level modules form no import circle: a feature folder (`orders/`,
//! `kb/`, `admin/`, `reports/`, `auth/` …) or a file beside them may use the ones
//! below it, never one that uses it back. The crate root (`lib.rs`, with `AppState`
//! and the router) is above them all and not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Top-level module name → the file or folder it lives in.
fn top_level_modules(src: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if path.is_dir() || (path.extension().is_some_and(|e| e == "rs") && name != "lib") {
            out.insert(name, path);
        }
    }
    out
}

/// The top-level modules a piece of code names as `crate::name` or inside
/// `crate::{…}` (comments left out: a doc link is not a dependency).
fn named_modules(code: &str, modules: &BTreeMap<String, PathBuf>) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for part in code.split("crate::").skip(1) {
        let names: Vec<&str> = if let Some(group) = part.strip_prefix('{') {
            let inner = group.split("};").next().unwrap_or(group);
            top_level_names(inner)
        } else {
            vec![first_word(part)]
        };
        out.extend(
            names
                .into_iter()
                .filter(|n| modules.contains_key(*n))
                .map(str::to_owned),
        );
    }
    out
}

fn first_word(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of each item of a `use crate::{…}` group.
fn top_level_names(group: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0;
    let mut start = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && (c.is_ascii_alphanumeric() || c == '_') => {
                out.push(first_word(&group[i..]));
                start = false;
            }
            _ => {}
        }
    }
    out
}

fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = top_level_modules(&src);
    let mut deps = BTreeMap::new();
    for (name, path) in &modules {
        let files = if path.is_dir() {
            sources(path)
        } else {
            vec![path.clone()]
        };
        let mut used = BTreeSet::new();
        for file in files {
            used.extend(named_modules(
                &std::fs::read_to_string(file).unwrap(),
                &modules,
            ));
        }
        used.remove(name);
        deps.insert(name.clone(), used);
    }
    deps
}

/// A circle through `from`, if there is one: the path back to it.
fn circle_through(deps: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        for next in &deps[path.last().unwrap()] {
            if next == from {
                let mut circle = path.clone();
                circle.push(next.clone());
                return Some(circle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_import_circles_between_top_level_modules() {
    let deps = dependencies();
    assert!(
        deps.len() > 15 && deps["web"].contains("orders") && deps["orders"].contains("access"),
        "the reader found too little: {deps:?}"
    );
    let circles: Vec<String> = deps
        .keys()
        .filter_map(|m| circle_through(&deps, m))
        .map(|c| c.join(" → "))
        .collect();
    assert!(circles.is_empty(), "import circles: {circles:#?}");
}

#[test]
fn the_reader_sees_a_circle_where_there_is_one() {
    let modules: BTreeMap<String, PathBuf> = ["orders", "kb", "audit"]
        .into_iter()
        .map(|m| (m.to_owned(), PathBuf::new()))
        .collect();
    let named = named_modules(
        "use crate::{audit::{self, ClientAddr}, kb};\n// crate::orders in a comment\nlet x = crate::orders::list_for;",
        &modules,
    );
    assert_eq!(named, ["audit", "kb", "orders"].map(String::from).into());
    let deps: BTreeMap<String, BTreeSet<String>> = [
        ("orders", vec!["kb"]),
        ("kb", vec!["audit"]),
        ("audit", vec!["orders"]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_owned(), d.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(
        circle_through(&deps, "orders").unwrap(),
        ["orders", "kb", "audit", "orders"]
    );
}
