//! Building plugin crates to components: what `gale dev` and `gale build` run, and what the
//! test suite uses to build the example plugins once per run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::databases::migrations;

/// The target plugins are built for.
pub const TARGET: &str = "wasm32-wasip2";

/// Where `gale dev`, `gale build` and the tests keep cargo's output for the wasm target
/// (relative to the workspace): its own directory, so a nested cargo never waits for the
/// lock of the one that runs the tests.
pub const WASM_TARGET_DIR: &str = "target/gale/wasm";

/// Makes sure the `wasm32-wasip2` standard library is installed, installing it with rustup
/// when it is missing.
pub fn ensure_target() -> anyhow::Result<()> {
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .context("cannot run rustc: is Rust installed?")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return Ok(());
    }
    eprintln!("gale: installing the {TARGET} target with rustup");
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status()
        .with_context(|| {
            format!("the {TARGET} target is missing and rustup could not be run to install it")
        })?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed; install the target and try again");
    }
    Ok(())
}

/// The plugin sources named by `paths`: each is a crate (it has a `Cargo.toml`), a Python
/// plugin (an `app.py` or a `pyproject.toml`), or a directory of them.
pub fn find_crates(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut crates = Vec::new();
    for path in paths {
        if is_plugin_source(path) {
            crates.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).with_context(|| {
            format!(
                "{} is neither a crate nor a directory of crates",
                path.display()
            )
        })?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_plugin_source(p))
            .collect();
        if found.is_empty() {
            bail!(
                "{} holds no plugin (no */Cargo.toml, */app.py or */pyproject.toml)",
                path.display()
            );
        }
        found.sort();
        crates.extend(found);
    }
    Ok(crates)
}

/// Whether `dir` is a plugin's source: a crate, or a Python plugin.
fn is_plugin_source(dir: &Path) -> bool {
    dir.join("Cargo.toml").is_file() || super::python::is_python_plugin(dir)
}

/// Builds each crate to a component with cargo (a Python plugin with componentize-py) (release, in `target_dir`, its own so that a
/// nested cargo never waits for an outer one) and copies the results into `out_dir` with
/// the crate's `migrations/*.sql` embedded, replacing older versions atomically. Returns
/// the installed files.
pub fn build_plugins(
    crates: &[PathBuf],
    target_dir: &Path,
    out_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut installed = Vec::new();
    for krate in crates {
        let artifacts = if krate.join("Cargo.toml").is_file() {
            ensure_target()?;
            cargo_build(krate, target_dir)?
        } else {
            vec![super::python::build(krate, target_dir)?]
        };
        for artifact in artifacts {
            let name = artifact
                .file_name()
                .context("a cargo artifact has no file name")?;
            let dest = out_dir.join(name);
            let partial = out_dir.join(format!(".{}.partial", name.to_string_lossy()));
            let mut component = std::fs::read(&artifact)
                .with_context(|| format!("cannot read {}", artifact.display()))?;
            let migrations = migrations::read_dir(krate)?;
            if !migrations.is_empty() {
                migrations::embed(&mut component, &migrations);
            }
            std::fs::write(&partial, component)
                .with_context(|| format!("cannot write {}", partial.display()))?;
            std::fs::rename(&partial, &dest)
                .with_context(|| format!("cannot install {}", dest.display()))?;
            installed.push(dest);
        }
    }
    Ok(installed)
}

/// Copies the static directories of `routes` (their `StaticFileHandler`s' paths) from the
/// plugin's `sources` to beside its component in `out_dir`, where a server serves them; files
/// already there are replaced, others kept (plugins may share a directory).
pub fn copy_static_dirs(
    routes: &[super::Route],
    sources: &Path,
    out_dir: &Path,
) -> anyhow::Result<()> {
    for route in routes {
        let super::Target::Static(files) = &route.target else {
            continue;
        };
        let Some(relative) = files.relative() else {
            continue;
        };
        let (from, to) = (sources.join(relative), out_dir.join(relative));
        if from.is_dir() {
            copy_tree(&from, &to)?;
            eprintln!("gale build: copied {} to {}", from.display(), to.display());
        }
    }
    Ok(())
}

/// Copies the files under `from` into `to` (hidden ones left out), making directories.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    let entries =
        std::fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))?;
    for entry in entries {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let (source, dest) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            copy_tree(&source, &dest)?;
        } else {
            std::fs::copy(&source, &dest).with_context(|| {
                format!("cannot copy {} to {}", source.display(), dest.display())
            })?;
        }
    }
    Ok(())
}

/// Removes the components in `dir` that are not in `keep`, so a directory serves exactly
/// what was just built.
pub fn remove_others(dir: &Path, keep: &[PathBuf]) -> anyhow::Result<()> {
    for file in super::loader::plugin_files(dir)? {
        if !keep.contains(&file) {
            std::fs::remove_file(&file)
                .with_context(|| format!("cannot remove {}", file.display()))?;
        }
    }
    Ok(())
}

/// The stack plugins are linked with, instead of Rust's 1 MiB for wasm: 128 KiB (twice C's
/// default). A small stack keeps what a request touches (stack, data, the start of the heap)
/// within the first 256 KiB of linear memory, which `--resident-memory 256KiB` keeps mapped
/// between instances: no page faults per request. A deeper recursion traps (500).
pub const PLUGIN_STACK: usize = 128 << 10;

/// Runs `cargo build` for one crate and returns the `.wasm` files it produced.
fn cargo_build(krate: &Path, target_dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .arg("build")
        .arg("--manifest-path")
        .arg(krate.join("Cargo.toml"))
        .args([
            "--release",
            "--target",
            TARGET,
            "--message-format",
            "json-render-diagnostics",
        ])
        .args([
            "--config",
            "profile.release.debug=false",
            "--config",
            "profile.release.strip=true",
            "--config",
            &format!(
                "target.{TARGET}.rustflags=[\"-C\", \"link-arg=-zstack-size={PLUGIN_STACK}\"]"
            ),
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !output.status.success() {
        bail!(
            "building {} failed (cargo's errors are above)",
            krate.display()
        );
    }
    let artifacts: Vec<PathBuf> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| {
            message["reason"] == "compiler-artifact" && message["target"]["kind"][0] == "cdylib"
        })
        .flat_map(|message| {
            let files = message["filenames"].as_array().cloned().unwrap_or_default();
            files
                .into_iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
        })
        .filter(|file| file.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    if artifacts.is_empty() {
        bail!(
            "{} built no component: a plugin crate needs `crate-type = [\"cdylib\"]`",
            krate.display()
        );
    }
    Ok(artifacts)
}
