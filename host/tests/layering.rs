//! The host's modules form layers, each using only those below it, as ARCHITECTURE.md draws
//! them: a cycle (the router knowing plugins, `http` knowing the built-in handlers, the
//! store's data knowing the WebSocket loop) is how a change to one layer starts breaking
//! another. The same holds inside `runtime/`, `runtime/imports/` and `http/`.

use std::path::{Path, PathBuf};

/// The modules of `host/src`, lowest first: each may use only modules before it.
const LAYERS: &[&str] = &[
    "metrics",
    "router",
    "http",
    "accounts",
    "builtin",
    "topics",
    "outbound",
    "databases",
    "runtime",
    "plugins",
    "config",
    "tls",
    "worker",
    "intake",
    "connection",
    "server",
    "admin",
    "dev",
    "serve",
    "scaffold",
    "cli",
];

/// Each layered directory's modules, lowest first.
const SUBLAYERS: &[(&str, &[&str])] = &[
    (
        "http",
        &[
            "hex",
            "date",
            "status",
            "params",
            "args",
            "beneath",
            "etag",
            "ranges",
            "framing",
            "connection",
            "xheaders",
            "signed",
            "xsrf",
            "cookies",
            "set_cookies",
            "error_page",
            "body",
            "response_error",
            "response",
            "static_dir",
            "site",
            "form",
            "request",
        ],
    ),
    (
        "runtime",
        &[
            "bindings",
            "output",
            "traps",
            "refusal",
            "slots",
            "running",
            "events",
            "pending",
            "ctx",
            "imports",
            "reuse",
            "shared",
            "plugin",
            "engine",
            "lease",
            "failures",
            "instances",
            "long_poll",
            "websocket",
            "driver",
        ],
    ),
    (
        "runtime/imports",
        &[
            "log",
            "cookies",
            "request",
            "application",
            "response",
            "accounts",
            "database",
            "topics",
            "websocket",
            "http_client",
            "timers",
        ],
    ),
];

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// A file's module path from `host/src`: `runtime/imports/cookies.rs` is
/// `["runtime", "imports", "cookies"]`, `runtime/websocket/mod.rs` `["runtime", "websocket"]`.
fn module_path(file: &Path, src: &Path) -> Vec<String> {
    let mut path: Vec<String> = file
        .strip_prefix(src)
        .unwrap()
        .with_extension("")
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect();
    if path.last().is_some_and(|last| last == "mod") {
        path.pop();
    }
    path
}

/// The code of a file: comment lines dropped, the rest as one text.
fn code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let lines = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"));
    lines.collect::<Vec<_>>().join("\n")
}

/// The module paths `code` names through `crate::`, or `super::` from `module`: for each, the
/// path up to its first segment below the one named (a group `{a, b}` gives each).
fn uses(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let word_start = |at: usize| {
        at == 0
            || !(bytes[at - 1].is_ascii_alphanumeric()
                || bytes[at - 1] == b'_'
                || bytes[at - 1] == b':')
    };
    let mut at = 0;
    while at < code.len() {
        let rest = &code[at..];
        let (base, skip) = if rest.starts_with("crate::") && word_start(at) {
            (Vec::new(), "crate::".len())
        } else if rest.starts_with("super::") && word_start(at) {
            let mut base = module.to_vec();
            let mut skip = 0;
            while code[at + skip..].starts_with("super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else {
            at += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let tail = &code[at + skip..];
        for target in targets(tail) {
            let mut path = base.clone();
            path.extend(target);
            found.push(path);
        }
        at += skip;
    }
    found
}

/// The paths at the start of `tail` (what follows `crate::` or `super::`): `a::b::C` gives
/// `[a, b, C]`; `{a::x, b}` gives `[a, x]` and `[b]`.
fn targets(tail: &str) -> Vec<Vec<String>> {
    if let Some(group) = tail.strip_prefix('{') {
        let end = matching_brace(group);
        return split_top_level(&group[..end])
            .into_iter()
            .flat_map(|item| targets(item.trim()))
            .collect();
    }
    let path: String = tail
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
        .collect();
    let segments: Vec<String> = path
        .split("::")
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect();
    if path.ends_with("::") && tail[path.len()..].starts_with('{') {
        // `a::b::{c, d}`: each item under `a::b`.
        return targets(&tail[path.len()..])
            .into_iter()
            .map(|item| segments.iter().cloned().chain(item).collect())
            .collect();
    }
    if segments.is_empty() {
        Vec::new()
    } else {
        vec![segments]
    }
}

/// Where the `}` closing a group that starts at `text`'s beginning is.
fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (at, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return at,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

/// The comma-separated items of a group, nested groups kept whole.
fn split_top_level(group: &str) -> Vec<&str> {
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

/// Whether a file at `module` may use `used`: within the deepest layered directory holding
/// both, the used module must sit lower (or be the same one, or one of its own).
fn allowed(module: &[String], used: &[String]) -> Result<(), String> {
    let mut layered: Vec<(String, Vec<String>)> = vec![(
        String::new(),
        LAYERS.iter().map(|s| s.to_string()).collect(),
    )];
    layered.extend(SUBLAYERS.iter().map(|(dir, layers)| {
        (
            dir.to_string(),
            layers.iter().map(|s| s.to_string()).collect(),
        )
    }));
    for (dir, layers) in layered.iter().rev() {
        let prefix: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
        let inside = |path: &[String]| {
            path.len() > prefix.len() && prefix.iter().zip(path).all(|(p, s)| *p == s)
        };
        if !inside(module) || !inside(used) {
            continue;
        }
        let (from, to) = (&module[prefix.len()], &used[prefix.len()]);
        if from == to {
            return Ok(());
        }
        let (Some(from_level), Some(to_level)) = (
            layers.iter().position(|layer| layer == from),
            layers.iter().position(|layer| layer == to),
        ) else {
            // An item of the directory's own module file (its re-exports), or not a module.
            return match layers.iter().any(|layer| layer == from) {
                true => Ok(()),
                false => Err(format!("{dir}/{from} is not in its layers: place it")),
            };
        };
        return match to_level < from_level {
            true => Ok(()),
            false => Err(format!("{dir}/{from} uses {dir}/{to}, a layer above")),
        };
    }
    Ok(())
}

#[test]
fn each_module_uses_only_the_layers_below_it_down_to_the_submodules() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in files {
        let module = module_path(&file, &src);
        if ["lib", "main"].contains(&module[0].as_str()) {
            continue;
        }
        assert!(
            LAYERS.contains(&module[0].as_str()),
            "{} is not in LAYERS: place it",
            module[0]
        );
        for used in uses(&code(&file), &module) {
            if let Err(why) = allowed(&module, &used) {
                upward.push(format!("{}: {why} ({})", file.display(), used.join("::")));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(
        upward.is_empty(),
        "uses of a layer above:\n{}",
        upward.join("\n")
    );
}

#[test]
fn an_upward_use_is_caught_at_every_depth() {
    let module = |path: &str| path.split('/').map(str::to_owned).collect::<Vec<_>>();
    let ctx = module("runtime/ctx");
    let found = uses(
        "use super::websocket::Opened;\nuse crate::http::{body, request::X};",
        &ctx,
    );
    assert_eq!(
        found,
        [
            module("runtime/websocket/Opened"),
            module("http/body"),
            module("http/request/X")
        ]
    );
    assert!(allowed(&ctx, &module("runtime/websocket/Opened")).is_err());
    assert!(allowed(&ctx, &module("runtime/refusal/Refusal")).is_ok());
    assert!(allowed(&module("router/pattern"), &module("plugins/registry")).is_err());
    assert!(
        allowed(
            &module("http/response"),
            &module("http/error_page/error_page")
        )
        .is_ok()
    );
    assert!(
        allowed(
            &module("http/error_page"),
            &module("http/response/ResponseState")
        )
        .is_err()
    );
    let cookies = module("runtime/imports/cookies");
    assert_eq!(
        uses("use super::super::ctx::Ctx;", &cookies),
        [module("runtime/ctx/Ctx")]
    );
    assert!(allowed(&cookies, &module("runtime/imports/accounts/SESSION_COOKIE")).is_err());
}
