//! The architecture's boundaries, checked on every `make test` (see
//! docs/architecture.md):
//!
//! * no crate under `functions/` depends on another crate under
//!   `functions/` — contexts meet through ports in `shared/` or events on
//!   the bus (read from `cargo metadata`);
//! * only a crate's routes, and the route table in its `lib.rs`, name
//!   `routes::` — workers and the application layer never reach into a
//!   route module;
//! * a route module never reaches into another route's module (what two
//!   routes share lives in the application layer, or in the routes' own
//!   `mod.rs` helpers).

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

#[test]
fn no_function_crate_depends_on_another() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo metadata's JSON");
    let functions = workspace().join("functions");
    let under_functions = |path: &str| Path::new(path).starts_with(&functions);
    let mut crates = 0;
    let mut offences = Vec::new();
    for package in meta["packages"].as_array().expect("packages") {
        if !under_functions(package["manifest_path"].as_str().unwrap_or_default()) {
            continue;
        }
        crates += 1;
        for dep in package["dependencies"].as_array().into_iter().flatten() {
            if dep["path"].as_str().is_some_and(under_functions) {
                offences.push(format!("{} -> {}", package["name"].as_str().unwrap_or("?"), dep["name"].as_str().unwrap_or("?")));
            }
        }
    }
    assert!(crates >= 9, "the function crates were found ({crates})");
    assert!(offences.is_empty(), "function crates depend on function crates; share a port in shared/ instead:\n{}", offences.join("\n"));
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// The module path of `file` inside its crate's `src/` (`routes/deals/get.rs`
/// → `["routes", "deals", "get"]`; a `mod.rs` is its directory).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The modules a line of code names through `crate::` or `super::`,
/// resolved against `module`: each path's segments followed by `::` (the
/// item at its end is left out).
fn paths_in(line: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = line.split("//").next().unwrap_or_default();
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_' || bytes[i - 1] == ':');
        let rest: String = bytes[i..].iter().collect();
        if starts_word && (rest.starts_with("crate::") || rest.starts_with("super::")) {
            let mut segments: Vec<String> = Vec::new();
            let mut j = i;
            let mut current = String::new();
            while j < bytes.len() {
                let c = bytes[j];
                if c.is_alphanumeric() || c == '_' {
                    current.push(c);
                    j += 1;
                } else if c == ':' && bytes.get(j + 1) == Some(&':') {
                    segments.push(std::mem::take(&mut current));
                    j += 2;
                } else {
                    break;
                }
            }
            let mut resolved: Vec<String> = module.to_vec();
            let mut ok = true;
            for (k, s) in segments.iter().enumerate() {
                match s.as_str() {
                    "crate" if k == 0 => resolved.clear(),
                    "super" => {
                        if resolved.pop().is_none() {
                            ok = false;
                        }
                    }
                    other => resolved.push(other.to_string()),
                }
            }
            if ok {
                found.push(resolved);
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    found
}

#[test]
fn workers_and_routes_keep_out_of_other_routes() {
    let mut offences = Vec::new();
    let mut files = 0;
    for krate in std::fs::read_dir(workspace().join("functions")).expect("functions/").flatten() {
        let src = krate.path().join("src");
        for file in sources(&src) {
            files += 1;
            let module = module_of(&src, &file);
            let text = std::fs::read_to_string(&file).expect("a source file");
            let in_routes = module.first().is_some_and(|m| m == "routes");
            let registry = module.is_empty(); // lib.rs and main.rs: the route table
            for (n, line) in text.lines().enumerate() {
                let trimmed = line.trim_start();
                if trimmed.starts_with("//") {
                    continue;
                }
                for path in paths_in(line, &module) {
                    // `path` names a module of this crate; which route module, if any?
                    if path.first().map(String::as_str) != Some("routes") || path.len() < 2 {
                        continue;
                    }
                    // `routes::X::…`: the route module X (an item of routes/mod.rs
                    // itself — the routes' shared helpers — names no module).
                    let target = &path[1];
                    let offence = if registry {
                        None
                    } else if !in_routes {
                        Some("a worker or the application layer reaches into a route")
                    } else if module.get(1) != Some(target) {
                        Some("a route reaches into another route")
                    } else {
                        None
                    };
                    if let Some(why) = offence {
                        offences.push(format!("{}:{}: {why}: {}", file.display(), n + 1, trimmed));
                    }
                }
                // Also `use crate::routes::{…}` and `use crate::{routes::…}`.
                let names_routes = trimmed.contains(" routes::") || trimmed.starts_with("routes::") || trimmed.contains("{routes::");
                if !in_routes && !registry && (names_routes || trimmed.contains("routes::{")) {
                    offences.push(format!("{}:{}: names routes:: outside the routes: {}", file.display(), n + 1, trimmed));
                }
            }
        }
    }
    assert!(files > 100, "the function crates' sources were read ({files})");
    assert!(offences.is_empty(), "move what is shared into the application layer:\n{}", offences.join("\n"));
}

#[test]
fn the_path_reader_resolves_crate_and_super() {
    let m = |s: &str| s.split('/').map(str::to_string).collect::<Vec<_>>();
    let module = m("routes/leads/convert_post");
    assert_eq!(paths_in("let x = super::super::contacts::markers(tx);", &module), vec![m("routes/contacts")]);
    assert_eq!(paths_in("crate::routes::tasks::owner(app)", &module), vec![m("routes/tasks")]);
    assert_eq!(paths_in("super::load(app)", &module), vec![m("routes/leads")]);
    assert!(paths_in("// crate::routes::x::y", &module).is_empty(), "comments are not code");
    assert!(paths_in("my_crate::routes::x::y()", &module).is_empty(), "another crate's path is not ours");
}
