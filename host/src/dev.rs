//! `gale dev`'s rebuild loop: watches the plugin crates' sources, rebuilds a crate when they
//! change and installs the component atomically into the served directory, where the
//! directory watcher swaps it in. A build error is printed and the old version keeps serving.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use notify::{RecursiveMode, Watcher};

use crate::plugins::{build, python};

/// How long sources must be quiet before a rebuild: an editor's save is several events.
const QUIET: Duration = Duration::from_millis(300);

/// Starts a thread that rebuilds each crate of `crates` into `out` when its sources change.
pub fn rebuild_on_change(
    crates: Vec<PathBuf>,
    target_dir: PathBuf,
    out: PathBuf,
) -> anyhow::Result<()> {
    let (sender, changes) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if let Ok(event) = event {
            let _ = sender.send(event);
        }
    })?;
    let crates: Vec<PathBuf> = crates
        .iter()
        .map(|krate| krate.canonicalize().unwrap_or_else(|_| krate.clone()))
        .collect();
    for krate in &crates {
        watcher
            .watch(krate, RecursiveMode::Recursive)
            .with_context(|| format!("cannot watch {}", krate.display()))?;
    }
    std::thread::Builder::new()
        .name("gale-dev-rebuild".into())
        .spawn(move || {
            let _watcher = watcher;
            while let Ok(first) = changes.recv() {
                let (mut changed, mut read_live) = (BTreeSet::new(), BTreeSet::new());
                let mut event = Some(first);
                while let Some(current) = event {
                    if current.kind.is_create()
                        || current.kind.is_modify()
                        || current.kind.is_remove()
                    {
                        for path in &current.paths {
                            match change(&crates, path) {
                                Some(Change::Build(krate)) => changed.insert(krate),
                                Some(Change::ReadLive) if !path.is_dir() => {
                                    read_live.insert(path.clone())
                                }
                                _ => false,
                            };
                        }
                    }
                    event = changes.recv_timeout(QUIET).ok();
                }
                for path in read_live {
                    eprintln!(
                        "gale dev: {} changed; it is read as it is now, no build needed",
                        path.display()
                    );
                }
                for krate in changed {
                    rebuild(&krate, &target_dir, &out);
                }
            }
        })?;
    Ok(())
}

/// What a change to a plugin's file needs.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    /// A build of the crate (or Python plugin) it is a source of.
    Build(PathBuf),
    /// Nothing: a Python plugin reads its other files (templates) as they are while
    /// `gale dev` serves it.
    ReadLive,
}

/// What a change to `path` needs, if it is a source of one of `crates` (build output and
/// hidden files are not sources).
fn change(crates: &[PathBuf], path: &Path) -> Option<Change> {
    let krate = crates.iter().find(|krate| path.starts_with(krate))?;
    let inside = path.strip_prefix(krate).ok()?;
    if !is_source(inside) {
        return None;
    }
    if python::is_python_plugin(krate) && !is_python_code(inside) {
        return Some(Change::ReadLive);
    }
    Some(Change::Build(krate.clone()))
}

/// Whether `path` is what a Python plugin's build compiles: a module, or the project file.
fn is_python_code(path: &Path) -> bool {
    path.extension().is_some_and(|ext| ext == "py")
        || path
            .file_name()
            .is_some_and(|name| name == "pyproject.toml")
}

/// Whether `path`, relative to its crate, is a source (the crate itself may live anywhere,
/// a hidden temporary directory included).
fn is_source(path: &Path) -> bool {
    path.components().all(|part| match part {
        Component::Normal(name) => {
            let name = name.to_string_lossy();
            name != "target"
                && name != "Cargo.lock"
                && name != "__pycache__"
                && !name.starts_with('.')
                && !name.ends_with('~')
        }
        _ => true,
    })
}

fn rebuild(krate: &Path, target_dir: &Path, out: &Path) {
    eprintln!("gale dev: {} changed, rebuilding", krate.display());
    match build::build_plugins(&[krate.to_owned()], target_dir, out) {
        Ok(files) => {
            for file in files {
                eprintln!("gale dev: built {}; swapping it in", file.display());
            }
        }
        Err(error) => eprintln!("gale dev: {error:#}; the previous version keeps serving"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_output_and_editor_files_are_not_sources() {
        let crates = [PathBuf::from("/w/.tmp/a"), PathBuf::from("/w/.tmp/b")];
        let source = Path::new("/w/.tmp/a/src/lib.rs");
        assert_eq!(
            change(&crates, source),
            Some(Change::Build(crates[0].clone()))
        );
        for path in [
            "/w/.tmp/b/target/release/x",
            "/w/.tmp/b/src/.lib.rs.swp",
            "/w/.tmp/b/src/lib.rs~",
            "/w/elsewhere/lib.rs",
        ] {
            assert_eq!(change(&crates, Path::new(path)), None, "{path}");
        }
    }

    #[test]
    fn a_python_plugins_template_needs_no_build_and_its_code_does() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "").unwrap();
        let krate = dir.path().to_owned();
        let crates = std::slice::from_ref(&krate);
        let template = krate.join("templates/index.html");
        assert_eq!(change(crates, &template), Some(Change::ReadLive));
        let code = krate.join("app.py");
        assert_eq!(change(crates, &code), Some(Change::Build(krate.clone())));
        let name = krate
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace('-', "_");
        assert_eq!(
            python::sources_by_name(crates),
            vec![(name, krate.canonicalize().unwrap())]
        );
    }
}
