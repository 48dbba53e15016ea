//! Building a Python plugin (a directory with an `app.py`, or a `pyproject.toml` whose
//! `[tool.gale]` names the module) with componentize-py: gale's Python SDK and its `tornado`
//! package, carried inside this binary, are written beside the build, so an installed gale
//! builds Python plugins outside any checkout.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// The componentize-py gale builds with: the version whose output the suite checks.
pub const COMPONENTIZE_PY: &str = "0.25.1";

/// Whether `dir` holds a Python plugin.
pub fn is_python_plugin(dir: &Path) -> bool {
    dir.join("app.py").is_file() || dir.join("pyproject.toml").is_file()
}

/// `(path, text)` of each file of `sdk-python/`, read into the binary at build time.
macro_rules! carried {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../../../sdk-python/", $path)))),*]
    };
}

/// The Python SDK: gale's package and its `tornado` names.
const SDK: &[(&str, &str)] = carried![
    "gale/__init__.py",
    "gale/_embedded.py",
    "gale/_host.py",
    "gale/_linkify.py",
    "gale/_live.py",
    "gale/_loop.py",
    "gale/_methods.py",
    "gale/_runtime.py",
    "gale/_static.py",
    "gale/_ui.py",
    "gale/_views.py",
    "gale/escape.py",
    "gale/gen.py",
    "gale/httpclient.py",
    "gale/httputil.py",
    "gale/log.py",
    "gale/routing.py",
    "gale/sqlite.py",
    "gale/template.py",
    "gale/util.py",
    "gale/web.py",
    "gale/websocket.py",
    "pymysql/__init__.py",
    "pymysql/connections.py",
    "pymysql/constants/FIELD_TYPE.py",
    "pymysql/constants/__init__.py",
    "pymysql/cursors.py",
    "pymysql/err.py",
    "tornado/__init__.py",
    "tornado/escape.py",
    "tornado/gen.py",
    "tornado/httpclient.py",
    "tornado/httpserver.py",
    "tornado/httputil.py",
    "tornado/ioloop.py",
    "tornado/log.py",
    "tornado/options.py",
    "tornado/simple_httpclient.py",
    "tornado/template.py",
    "tornado/util.py",
    "tornado/web.py",
    "tornado/websocket.py",
];

/// The contract the component is built against.
const WIT: &str = include_str!("../../../wit/gale.wit");

/// The name the Python plugin in `dir` is served under: its directory's, `-` made `_`.
pub fn plugin_name(dir: &Path) -> anyhow::Result<String> {
    Ok(dir
        .canonicalize()
        .with_context(|| format!("no such directory: {}", dir.display()))?
        .file_name()
        .context("a plugin directory has a name")?
        .to_string_lossy()
        .replace('-', "_"))
}

/// The Python plugins among `crates`, by the name each is served under, with its directory
/// (where `gale dev` serves it from, and where `gale build` finds its static files).
pub fn sources_by_name(crates: &[PathBuf]) -> Vec<(String, PathBuf)> {
    crates
        .iter()
        .filter(|krate| is_python_plugin(krate))
        .filter_map(|krate| Some((plugin_name(krate).ok()?, krate.canonicalize().ok()?)))
        .collect()
}

/// Builds the Python plugin in `dir` into `target_dir/python/NAME.wasm` and returns it.
pub fn build(dir: &Path, target_dir: &Path) -> anyhow::Result<PathBuf> {
    let componentize = componentize_py()?;
    let module = plugin_module(dir)?;
    let name = plugin_name(dir)?;
    let work = target_dir.join("python");
    // The plugin's module body runs during the build, with the SDK on its path: each build
    // gets a copy of its own, so no plugin's build can change what a later one embeds.
    let sdk = write_sdk(&work)?;
    // The component's entry: the SDK's export, after importing the plugin's module.
    let entry = work.join(format!("entry-{name}"));
    std::fs::create_dir_all(&entry)?;
    std::fs::write(
        entry.join("gale_entry.py"),
        format!("from gale._runtime import App, load\n\nload({module:?})\n"),
    )?;
    let out = work.join(format!("{name}.wasm"));
    let status = Command::new(&componentize)
        .arg("-d")
        .arg(sdk.path().join("wit"))
        .args(["-w", "plugin", "componentize", "gale_entry"])
        .arg("-p")
        .arg(&entry)
        .arg("-p") // the second: `runtime::ctx::PYTHON_SOURCES_AT`
        .arg(dir)
        .arg("-p")
        .arg(sdk.path())
        .arg("-o")
        .arg(&out)
        // Its progress goes to stderr: gale's stdout says where it listens.
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("cannot run {}", componentize.display()))?;
    if !status.success() {
        bail!(
            "building {} failed (componentize-py's errors are above)",
            dir.display()
        );
    }
    Ok(out)
}

/// The componentize-py to run (`GALE_COMPONENTIZE_PY`, else the one on the `PATH`), checked
/// to be the pinned version; the error says what to install.
pub fn componentize_py() -> anyhow::Result<PathBuf> {
    let program = std::env::var_os("GALE_COMPONENTIZE_PY")
        .map_or_else(|| PathBuf::from("componentize-py"), PathBuf::from);
    let install = format!("pip install componentize-py=={COMPONENTIZE_PY}");
    let output = Command::new(&program).arg("--version").output();
    let Ok(output) = output else {
        bail!("a Python plugin is built with componentize-py, which is not installed: {install}");
    };
    let said = String::from_utf8_lossy(&output.stdout);
    if said.split_whitespace().nth(1) != Some(COMPONENTIZE_PY) {
        bail!(
            "gale builds Python plugins with componentize-py {COMPONENTIZE_PY}, but {} is {:?}: \
             {install}",
            program.display(),
            said.trim()
        );
    }
    Ok(program)
}

/// The module the plugin's Application is in: `[tool.gale] module = "..."` in its
/// `pyproject.toml`, else `app`.
fn plugin_module(dir: &Path) -> anyhow::Result<String> {
    let pyproject = std::fs::read_to_string(dir.join("pyproject.toml")).unwrap_or_default();
    let mut in_gale = false;
    for line in pyproject.lines().map(str::trim) {
        if line.starts_with('[') {
            in_gale = line == "[tool.gale]";
        } else if let Some(value) = line.strip_prefix("module").filter(|_| in_gale) {
            let value = value.trim_start().trim_start_matches('=').trim();
            let module = value.trim_matches('"').trim_matches('\'');
            if module.is_empty() || !module.split('.').all(is_identifier) {
                bail!(
                    "{}: [tool.gale] module = {value} is not a Python module name",
                    dir.display()
                );
            }
            return Ok(module.to_owned());
        }
    }
    if dir.join("app.py").is_file() {
        return Ok("app".into());
    }
    bail!(
        "{}: a Python plugin has an app.py, or names its module in pyproject.toml \
         ([tool.gale] module = \"...\")",
        dir.display()
    )
}

fn is_identifier(part: &str) -> bool {
    let mut chars = part.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

/// Writes the SDK (the files this binary carries, 150 KB) into a fresh directory under
/// `work`, removed when the returned handle is dropped.
fn write_sdk(work: &Path) -> anyhow::Result<tempfile::TempDir> {
    std::fs::create_dir_all(work)?;
    let dir = tempfile::Builder::new().prefix("sdk-").tempdir_in(work)?;
    for (path, text) in SDK.iter().chain([&("wit/gale.wit", WIT)]) {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().expect("SDK files are in directories"))?;
        std::fs::write(&file, text).with_context(|| format!("cannot write {}", file.display()))?;
    }
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_is_app_or_the_one_pyproject_names() {
        let dir = tempfile::tempdir().unwrap();
        assert!(plugin_module(dir.path()).is_err());
        std::fs::write(dir.path().join("app.py"), "").unwrap();
        assert_eq!(plugin_module(dir.path()).unwrap(), "app");
        let pyproject =
            "[project]\nname = \"x\"\nmodule = \"no\"\n\n[tool.gale]\nmodule = \"shop.web\"\n";
        std::fs::write(dir.path().join("pyproject.toml"), pyproject).unwrap();
        assert_eq!(plugin_module(dir.path()).unwrap(), "shop.web");
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.gale]\nmodule = \"a-b\"\n",
        )
        .unwrap();
        assert!(
            plugin_module(dir.path())
                .unwrap_err()
                .to_string()
                .contains("not a Python module")
        );
    }

    #[test]
    fn each_build_writes_the_sdk_afresh_whatever_an_earlier_one_did_to_its_copy() {
        let work = tempfile::tempdir().unwrap();
        let first = write_sdk(work.path()).unwrap();
        let web = first.path().join("gale/web.py");
        std::fs::write(&web, "tampered").unwrap();
        let second = write_sdk(work.path()).unwrap();
        let fresh = std::fs::read_to_string(second.path().join("gale/web.py")).unwrap();
        assert_ne!(fresh, "tampered");
        drop((first, second));
        assert_eq!(
            std::fs::read_dir(work.path()).unwrap().count(),
            0,
            "removed after"
        );
    }

    #[test]
    fn every_file_of_the_python_sdk_is_carried() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk-python");
        let mut on_disk = Vec::new();
        for package in ["gale", "pymysql", "pymysql/constants", "tornado"] {
            for entry in std::fs::read_dir(root.join(package)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                if name.ends_with(".py") {
                    on_disk.push(format!("{package}/{name}"));
                }
            }
        }
        on_disk.sort();
        let carried: Vec<&str> = SDK.iter().map(|(path, _)| *path).collect();
        assert_eq!(on_disk, carried);
    }
}
