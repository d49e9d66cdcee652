//! The documentation cannot drift from the code: README stays short, every
//! link stays in the repository and resolves, `docs/CONFIGURATION.md` and
//! `config/default.toml` name the same keys, `docs/API.md` names every page
//! route the server registers (and no route it does not), and every source
//! path or module path the docs name exists. No server is started.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Value};
use figment::Figment;
use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// README.md and every docs/*.md, as (path relative to the root, text).
fn markdown_files() -> Vec<(String, String)> {
    let mut names = vec!["README.md".to_string()];
    let mut docs: Vec<String> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ is readable")
        .map(|e| {
            e.expect("a docs/ entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    docs.sort();
    names.extend(docs);
    names
        .into_iter()
        .map(|n| {
            let text = read(&root().join(&n));
            (n, text)
        })
        .collect()
}

/// The text with fenced code blocks removed.
fn prose(text: &str) -> String {
    let mut out = String::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The lines inside fenced code blocks.
fn fenced(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside {
            out.push(line);
        }
    }
    out
}

/// Inline code spans outside fenced blocks (a span may run over a line
/// break, read as a space).
fn code_spans(text: &str) -> Vec<String> {
    let span = Regex::new(r"`([^`]+)`").unwrap();
    span.captures_iter(&prose(text))
        .map(|c| c[1].split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces
/// to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn the_readme_is_at_most_six_kilobytes() {
    let size = read(&root().join("README.md")).len();
    assert!(
        size <= 6 * 1024,
        "README.md is {size} bytes; a newcomer reads it in five minutes: move detail to docs/"
    );
}

#[test]
fn every_link_in_the_readme_and_docs_is_relative_and_resolves() {
    let link = Regex::new(r"\]\(([^)\s]+)\)").unwrap();
    let autolink = Regex::new(r"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]*)>").unwrap();
    let mut wrong = Vec::new();
    let span = Regex::new(r"`[^`\n]*`").unwrap();
    for (name, text) in markdown_files() {
        let body = span.replace_all(&prose(&text), "").into_owned();
        for c in autolink.captures_iter(&body) {
            wrong.push(format!("{name}: <{}> leaves the repository", &c[1]));
        }
        for c in link.captures_iter(&body) {
            let target = &c[1];
            if target.contains(':') {
                wrong.push(format!("{name}: ({target}) leaves the repository"));
                continue;
            }
            if target.starts_with('/') {
                wrong.push(format!(
                    "{name}: ({target}) is absolute; write it relative to the file"
                ));
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (target, None),
            };
            let here = root().join(&name);
            let path = if file.is_empty() {
                here.clone()
            } else {
                here.parent().unwrap().join(file)
            };
            if !path.exists() {
                wrong.push(format!("{name}: ({target}) names no file"));
                continue;
            }
            if let Some(anchor) = anchor {
                if !anchors(&read(&path)).contains(anchor) {
                    wrong.push(format!("{name}: ({target}) names no heading of {file}"));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "links that break:\n{}", wrong.join("\n"));
}

/// Dotted keys of a TOML table, with each name under `lists` and `series`
/// (and each cohort) written `<slug>`, as docs/CONFIGURATION.md writes them.
fn keys(prefix: &str, dict: &Dict, out: &mut BTreeSet<String>) {
    for (name, value) in dict {
        let slugged = matches!(prefix, "lists" | "series") || prefix.ends_with(".cohorts");
        let name = if slugged { "<slug>" } else { name.as_str() };
        let key = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match value {
            Value::Dict(_, inner) => keys(&key, inner, out),
            _ => {
                out.insert(key);
            }
        }
    }
}

/// Keys given in config/default.toml, set or (the optional ones) in a
/// commented example: `# [section]` followed by `# key = value` lines.
fn default_toml_keys() -> BTreeSet<String> {
    let text = read(&root().join("config/default.toml"));
    let dict: Dict = Figment::from(Toml::string(&text))
        .extract()
        .expect("config/default.toml is TOML");
    let mut commented = String::new();
    let header = Regex::new(r"^#\s*(\[[a-z0-9_.-]+\])\s*$").unwrap();
    let entry = Regex::new(r"^#\s*([a-z_]+\s*=\s*\S.*)$").unwrap();
    let mut in_example = false;
    for line in text.lines() {
        if let Some(c) = header.captures(line) {
            in_example = true;
            commented.push_str(&c[1]);
            commented.push('\n');
        } else if let (true, Some(c)) = (in_example, entry.captures(line)) {
            commented.push_str(&c[1]);
            commented.push('\n');
        } else {
            in_example = false;
        }
    }
    let example: Dict = Figment::from(Toml::string(&commented))
        .extract()
        .expect("the commented examples in config/default.toml are TOML");
    let mut out = BTreeSet::new();
    keys("", &dict, &mut out);
    keys("", &example, &mut out);
    out
}

/// Keys docs/CONFIGURATION.md documents: the code spans in the first cell
/// of each table row.
fn documented_keys() -> BTreeSet<String> {
    let text = read(&root().join("docs/CONFIGURATION.md"));
    let span = Regex::new(r"`([^`]+)`").unwrap();
    prose(&text)
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let first = l.split('|').nth(1).unwrap_or("").to_string();
            span.captures_iter(&first)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn configuration_md_documents_exactly_the_keys_of_default_toml() {
    let given = default_toml_keys();
    let documented = documented_keys();
    assert!(given.len() > 50, "config/default.toml read as {given:?}");
    let missing: Vec<_> = given.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&given).collect();
    assert!(
        missing.is_empty(),
        "keys of config/default.toml with no row in docs/CONFIGURATION.md: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/CONFIGURATION.md documents keys config/default.toml does not have \
         (set, or in a commented example): {unknown:?}"
    );
}

/// `METHOD /path` code spans in docs/API.md.
fn routes_in_api_md() -> BTreeSet<(String, String)> {
    let route = Regex::new(r"^(GET|HEAD|POST|PUT|PATCH|DELETE) (/\S*)$").unwrap();
    code_spans(&read(&root().join("docs/API.md")))
        .iter()
        .filter_map(|s| {
            // A query (`?status=`) is no part of the route.
            let s = s.replace("\\|", "|");
            let s = s.split('?').next().unwrap_or_default();
            route
                .captures(s)
                .map(|c| (c[1].to_string(), c[2].to_string()))
        })
        .collect()
}

#[test]
fn api_md_names_every_page_route_and_only_routes_that_exist() {
    let registered: BTreeSet<(String, String)> = convene::app::route_list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let documented = routes_in_api_md();
    let missing: Vec<_> = registered
        .iter()
        .filter(|(_, p)| !p.starts_with("/api/") && p.as_str() != "/static/{file}")
        .filter(|r| !documented.contains(*r))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let unknown: Vec<_> = documented
        .difference(&registered)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "page routes the server registers (app::route_list) that docs/API.md does not name \
         as `METHOD /path`: {missing:#?}"
    );
    assert!(
        unknown.is_empty(),
        "docs/API.md names routes the server does not register: {unknown:#?}"
    );
}

/// The file of a module path (`a::b` → src/a/b.rs or src/a/b/mod.rs), and
/// the folder whose files its re-exports may come from.
fn module_file(base: &Path, segs: &[&str]) -> Option<(PathBuf, PathBuf)> {
    let p = segs.iter().fold(base.to_path_buf(), |p, s| p.join(s));
    let file = p.with_extension("rs");
    if file.is_file() {
        return Some((file.clone(), p));
    }
    let m = p.join("mod.rs");
    m.is_file().then_some((m, p))
}

/// Source text without its comments.
fn code_only(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn text_under(file: &Path, dir: &Path) -> String {
    let mut text = read(file);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                text.push_str(&read(&p));
            }
        }
    }
    text
}

/// The crates Cargo.toml depends on (their names as paths: `-` as `_`).
fn dependencies() -> BTreeSet<String> {
    let dict: Dict = Figment::from(Toml::string(&read(&root().join("Cargo.toml"))))
        .extract()
        .expect("Cargo.toml is TOML");
    ["dependencies", "dev-dependencies"]
        .iter()
        .filter_map(|t| dict.get(*t).and_then(|v| v.as_dict()))
        .flat_map(|d| d.keys().map(|k| k.replace('-', "_")))
        .collect()
}

#[test]
fn every_path_and_module_the_docs_name_exists() {
    let file_path = Regex::new(
        r"^((?:src|tests|docs|scripts|benches|fuzz|migrations|templates|email_templates|static|\.ci)/[A-Za-z0-9_./-]*)$",
    )
    .unwrap();
    let in_block = Regex::new(r"\b(src/[A-Za-z0-9_./-]*[A-Za-z0-9_/])").unwrap();
    let module = Regex::new(
        r"^(?:(?:crate|convene)::)?([a-z_][a-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+)(?:::\{([^}]*)\})?",
    )
    .unwrap();
    let crates = dependencies();
    let src = root().join("src");
    let mut wrong = Vec::new();
    for (name, text) in markdown_files() {
        let mut paths: Vec<String> = code_spans(&text)
            .iter()
            .filter_map(|s| file_path.captures(s).map(|c| c[1].to_string()))
            .collect();
        for line in fenced(&text) {
            paths.extend(in_block.captures_iter(line).map(|c| c[1].to_string()));
        }
        for p in paths {
            if !root().join(&p).exists() {
                wrong.push(format!("{name}: `{p}` does not exist"));
            }
        }
        for s in code_spans(&text) {
            let Some(c) = module.captures(&s) else {
                continue;
            };
            let mut segs: Vec<&str> = c[1].split("::").collect();
            if matches!(segs[0], "crate" | "convene") {
                segs.remove(0);
            }
            let listed: Vec<&str> = c
                .get(2)
                .map(|g| {
                    g.as_str()
                        .split(',')
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if module_file(&src, &segs[..1]).is_none() {
                // Not this crate's: a test helper that has what is named, or
                // a dependency.
                let helper = module_file(&root().join("tests/api"), &segs[..1])
                    .map(|(file, _)| code_only(&read(&file)))
                    .is_some_and(|code| {
                        segs[1..].iter().all(|item| {
                            Regex::new(&format!(r"\b{}\b", regex::escape(item)))
                                .unwrap()
                                .is_match(&code)
                        })
                    });
                if !helper && !crates.contains(segs[0]) {
                    wrong.push(format!("{name}: `{s}`: no module `{}` in src/", segs[0]));
                }
                continue;
            }
            let n = (1..=segs.len())
                .rev()
                .find(|n| module_file(&src, &segs[..*n]).is_some())
                .unwrap();
            let (file, dir) = module_file(&src, &segs[..n]).unwrap();
            // What the path names next is declared (or re-exported) in the
            // module's own file; what follows may live anywhere under it.
            let own = code_only(&read(&file));
            let body = text_under(&file, &dir);
            let rest = &segs[n..];
            let items = rest
                .iter()
                .enumerate()
                .map(|(k, i)| (*i, k == 0))
                .chain(listed.iter().map(|i| (*i, rest.is_empty())));
            for (item, first) in items {
                let word = Regex::new(&format!(r"\b{}\b", regex::escape(item))).unwrap();
                if !word.is_match(if first { &own } else { &body }) {
                    wrong.push(format!(
                        "{name}: `{s}`: no `{item}` in {}",
                        file.strip_prefix(root()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the docs name what the code does not have:\n{}",
        wrong.join("\n")
    );
}
