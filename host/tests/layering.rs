//! The host's modules form layers, each using only those below it, as ARCHITECTURE.md draws
//! them: a cycle (the router knowing plugins, `http` knowing the built-in handlers) is how a
//! change to one layer starts breaking another.

use std::path::Path;

/// The modules of `host/src`, lowest first: each may use only modules before it.
const LAYERS: &[&str] = &[
    "metrics", "router", "http", "accounts", "builtin", "topics", "runtime", "plugins", "config",
    "worker", "intake", "server", "admin", "dev", "serve", "scaffold", "cli",
];

/// The top-level module a file of `host/src` belongs to.
fn module_of(path: &Path, src: &Path) -> String {
    let relative = path.strip_prefix(src).unwrap();
    let first = relative
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn each_module_uses_only_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = Vec::new();
    for file in files {
        let module = module_of(&file, &src);
        let Some(level) = LAYERS.iter().position(|layer| *layer == module) else {
            assert!(
                ["lib", "main"].contains(&module.as_str()),
                "{module} is not in LAYERS: place it"
            );
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let code = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"));
        for line in code {
            for (at, _) in line.match_indices("crate::") {
                let used: String = line[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let Some(used_level) = LAYERS.iter().position(|layer| *layer == used) else {
                    continue;
                };
                if used_level >= level && used != module {
                    upward.push(format!("{}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "uses of a layer above:\n{}",
        upward.join("\n")
    );
}
