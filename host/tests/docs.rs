//! The project's documents link to each other by relative paths and `#anchors`: every such
//! link must reach a file that exists and, when it names one, a heading of that file, so a
//! section moved from one document to another cannot leave a reader at a dead end.

use std::path::{Path, PathBuf};

/// The workspace root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// The documents a reader moves between.
fn documents() -> Vec<PathBuf> {
    let root = root();
    let mut found = vec![root.join("README.md"), root.join("ARCHITECTURE.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "md") {
            found.push(path);
        }
    }
    found
}

/// The targets of the markdown links `[text](target)` in `text`, code blocks skipped.
fn links(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut in_code = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, spaces to `-`, punctuation but `-` and `_`
/// dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of `text`'s headings.
fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.push(slug(line.trim_start_matches('#')));
        }
    }
    found
}

/// What is wrong with `target`, a link in `from`, if anything.
fn broken(from: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = match path {
        "" => from.to_owned(),
        path => from.parent().unwrap().join(path),
    };
    if !file.exists() {
        return Some(format!("{target}: no such file"));
    }
    let heading_needed = !anchor.is_empty() && file.extension().is_some_and(|e| e == "md");
    if heading_needed && !anchors(&std::fs::read_to_string(&file).unwrap()).contains(&anchor.into())
    {
        return Some(format!("{target}: no such heading in {}", file.display()));
    }
    None
}

#[test]
fn every_relative_link_between_the_documents_reaches_its_file_and_heading() {
    let mut dead = Vec::new();
    for document in documents() {
        let text = std::fs::read_to_string(&document).unwrap();
        for target in links(&text) {
            if let Some(why) = broken(&document, &target) {
                dead.push(format!("{}: {why}", document.display()));
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[test]
fn the_checker_finds_a_dead_file_and_a_dead_heading() {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("a.md");
    std::fs::write(&from, "# A title\n\n## The `--x` flag\n").unwrap();
    assert_eq!(
        links("see [b](b.md) and [c](#c)\n```\n[no](code)\n```"),
        ["b.md", "#c"]
    );
    assert!(broken(&from, "b.md").is_some());
    assert!(broken(&from, "#nowhere").is_some());
    assert!(broken(&from, "#the---x-flag").is_none());
    assert!(broken(&from, "a.md#a-title").is_none());
    assert!(broken(&from, "https://example.com/x").is_none());
}
