//! `gale dev`'s rebuild loop: watches the plugin crates' sources, rebuilds a crate when they
//! change and installs the component atomically into the served directory, where the
//! directory watcher swaps it in. A build error is printed and the old version keeps serving.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use notify::{RecursiveMode, Watcher};

use crate::plugins::build;

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
                let mut changed = BTreeSet::new();
                let mut event = Some(first);
                while let Some(current) = event {
                    if current.kind.is_create()
                        || current.kind.is_modify()
                        || current.kind.is_remove()
                    {
                        changed.extend(owning_crates(&crates, &current.paths));
                    }
                    event = changes.recv_timeout(QUIET).ok();
                }
                for krate in changed {
                    rebuild(&krate, &target_dir, &out);
                }
            }
        })?;
    Ok(())
}

/// The crates whose sources include one of `paths` (build output and hidden files are not
/// sources).
fn owning_crates(crates: &[PathBuf], paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter_map(|path| {
            let krate = crates.iter().find(|krate| path.starts_with(krate))?;
            is_source(path.strip_prefix(krate).ok()?).then(|| krate.clone())
        })
        .collect()
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
        let paths = [
            PathBuf::from("/w/.tmp/a/src/lib.rs"),
            PathBuf::from("/w/.tmp/b/target/release/x"),
            PathBuf::from("/w/.tmp/b/src/.lib.rs.swp"),
            PathBuf::from("/w/.tmp/b/src/lib.rs~"),
            PathBuf::from("/w/elsewhere/lib.rs"),
        ];
        assert_eq!(owning_crates(&crates, &paths), vec![crates[0].clone()]);
    }
}
