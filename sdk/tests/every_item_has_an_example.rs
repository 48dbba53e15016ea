//! Every public item of the SDK shows how it is used in an example that `cargo test --doc`
//! compiles. rustdoc's own check (`missing_doc_code_examples`) is nightly-only, so this reads
//! the sources: the doc comment above each public item must hold a code block.

use std::path::{Path, PathBuf};

/// The public items of one source file whose docs have no code block, as `file:line item`.
fn items_without_examples(file: &str, source: &str) -> Vec<String> {
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    let mut missing = Vec::new();
    let mut in_public_trait = false;
    for (index, (line, raw)) in lines.iter().zip(source.lines()).enumerate() {
        if line.starts_with("pub trait ") {
            in_public_trait = true;
        } else if raw == "}" {
            // A top-level item has closed: the trait's methods are behind us.
            in_public_trait = false;
        }
        let docs = doc_block_above(&lines, index);
        let trait_method = in_public_trait && line.starts_with("fn ");
        let exported_macro = line.starts_with("macro_rules! ")
            && docs.iter().any(|doc| doc.contains("#[macro_export]"));
        let hidden = docs.iter().any(|doc| doc.contains("#[doc(hidden)]"));
        if hidden || !(is_public_item(line) || trait_method || exported_macro) {
            continue;
        }
        if !docs.iter().any(|doc| doc.contains("```")) {
            missing.push(format!("{file}:{} {line}", index + 1));
        }
    }
    missing
}

/// Whether `line` declares an item a plugin can name: a `pub` item, or a re-export of a
/// generated binding (whose own docs come from the WIT file and have no example).
fn is_public_item(line: &str) -> bool {
    const KINDS: [&str; 6] = ["fn ", "struct ", "enum ", "trait ", "type ", "const "];
    let declared = line.strip_prefix("pub ").unwrap_or(line);
    (line.starts_with("pub ") && KINDS.iter().any(|kind| declared.starts_with(kind)))
        || (line.starts_with("pub use ") && line.contains("bindings::"))
}

/// The doc comments and attributes directly above line `index`.
fn doc_block_above<'a>(lines: &[&'a str], index: usize) -> Vec<&'a str> {
    lines[..index]
        .iter()
        .rev()
        .take_while(|line| line.starts_with("///") || line.starts_with("#["))
        .copied()
        .collect()
}

/// The `.rs` files under `dir`, at any depth.
fn source_files(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).expect("the SDK's sources");
    let mut files = Vec::new();
    for path in entries.map(|entry| entry.expect("a source entry").path()) {
        if path.is_dir() {
            files.extend(source_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn every_public_item_of_the_sdk_has_an_example_that_compiles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    let mut files = source_files(&src);
    files.sort();
    for path in files {
        let name = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // The runtime is the macros' glue, hidden from the docs.
        if name == "runtime.rs" {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("a readable source file");
        missing.extend(items_without_examples(&name, &source));
        let public_module = std::fs::read_to_string(src.join("lib.rs"))
            .unwrap()
            .contains(&format!("pub mod {};", name.trim_end_matches(".rs")));
        let module_docs: Vec<&str> = source
            .lines()
            .take_while(|l| l.starts_with("//!"))
            .collect();
        if public_module && !module_docs.iter().any(|doc| doc.contains("```")) {
            missing.push(format!("{name}: the module's docs"));
        }
    }
    assert!(
        missing.is_empty(),
        "these public items need a `no_run` example in their docs:\n{}",
        missing.join("\n")
    );
}

#[test]
fn an_item_without_an_example_is_found() {
    let source = "/// Says hi.\npub fn hi() {}\n/// Shows it.\n/// ```\n/// x();\n/// ```\npub fn shown() {}\n";
    assert_eq!(
        items_without_examples("a.rs", source),
        ["a.rs:2 pub fn hi() {}"]
    );
    let in_trait = "pub trait T {\n    /// No example.\n    fn m(&self);\n}\nfn private() {}\n";
    let missing = items_without_examples("t.rs", in_trait);
    assert_eq!(missing, ["t.rs:1 pub trait T {", "t.rs:3 fn m(&self);"]);
    let hidden = "#[doc(hidden)]\npub fn glue() {}\n#[macro_export]\nmacro_rules! m { () => {} }\n";
    assert_eq!(
        items_without_examples("h.rs", hidden),
        ["h.rs:4 macro_rules! m { () => {} }"]
    );
}
