//! `gale new NAME`: a plugin crate to start from, in a directory of its own, outside any
//! checkout: its `Cargo.toml` (a `cdylib` on the matching `gale-sdk`, and `gale-testing` to
//! test it with), a handler, its page and its test, a `.gitignore` and a README that says
//! how to serve, test, build and deploy it. The `accounts`, `chat`, `gateway` and `notes` templates are the
//! example plugins themselves, so what a new user starts from is
//! what the test suite runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// What a new plugin starts as.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// One handler: `GET /?name=you` greets you.
    Hello,
    /// Register, log in, `/me` and log out, on the account store (`plugins/accounts`).
    Accounts,
    /// Tornado's chat demos: WebSocket, long polling and server-sent events on one topic
    /// (`plugins/chat`).
    Chat,
    /// Waiting on other services: fetches pages of this server at once and combines them
    /// (`plugins/gateway`).
    Gateway,
    /// A plugin's own data: each logged-in account's notes, its table a migration
    /// (`plugins/notes`).
    Notes,
}

const HELLO: &str = r#"//! NAME: a gale plugin. `gale dev .` serves it on http://127.0.0.1:8000/ and swaps in each
//! change you save.

use gale_sdk::{PathArgs, Request, RequestHandler, Result, Template};

/// The page, from `templates/index.html` (compiled with the plugin; every value escaped).
#[derive(Template)]
#[template(path = "index.html")]
struct Index {
    name: String,
}

/// `GET /?name=you` greets you (`GET /` greets the world).
#[derive(Default)]
struct Hello;

impl RequestHandler for Hello {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let name = req.get_argument_or("name", "world")?;
        req.render(&Index { name })
    }
}

gale_sdk::routes![(r"/", Hello)];
"#;

/// The hello template's page.
const HELLO_PAGE: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>NAME</title></head>
<body><h1>Hello, {{ name }}, from NAME</h1></body></html>
"#;

/// What each template's test asks of a real server running it.
const HELLO_TEST: &str = r#"let app = gale_testing::TestApp::start().unwrap();
        let page = app.get("/?name=%3Cbob%3E").unwrap().text();
        assert!(page.contains("<h1>Hello, &#60;bob&#62;, from NAME</h1>"), "{page}");"#;
const ACCOUNTS_TEST: &str = r#"let app = gale_testing::TestApp::start().unwrap();
        assert_eq!(app.get("/register").unwrap().status, 200);
        // Not logged in: `/me` sends the visitor to the login page.
        assert_eq!(app.get("/me").unwrap().status, 302);"#;
const CHAT_TEST: &str = r#"let app = gale_testing::TestApp::start().unwrap();
        assert!(app.get("/chat").unwrap().text().contains("WebSocket"));"#;
const GATEWAY_TEST: &str = r##"let app = gale_testing::TestApp::start().unwrap();
        // The test server serves this plugin alone: its own pages answer 404, fetched.
        let combined = app.get("/gateway").unwrap().text();
        assert!(combined.contains(r#""/":{"code":404"#), "{combined}");"##;
const NOTES_TEST: &str = r#"let app = gale_testing::TestApp::start().unwrap();
        // Not logged in: `/notes` sends the visitor to the login page.
        assert_eq!(app.get("/notes").unwrap().status, 302);"#;

const README: &str = r#"# NAME

A gale plugin: Tornado's handlers, compiled to a sandboxed WebAssembly component.

- `gale dev .` builds it, serves it on http://127.0.0.1:8000/ and rebuilds and swaps it in
  each time you save.
- `cargo test` builds it and runs its tests against a real `gale serve` (`gale-testing`).
- `gale build . --out plugins` writes `plugins/NAME.wasm`.
- To deploy, copy that file into the `--plugins` directory of a running `gale serve`: it
  is swapped in without a restart and without dropping a request.
"#;

/// The dependency lines of this gale's SDK and of `gale-testing` beside it: `--sdk`, else
/// the checkout gale was built from.
fn sdk_dependencies(sdk: Option<PathBuf>) -> anyhow::Result<(String, String)> {
    let checkout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk");
    let path = match sdk {
        Some(path) => path,
        None if checkout.join("Cargo.toml").is_file() => checkout,
        None => bail!(
            "this gale was not built from a checkout, so it cannot tell where gale-sdk is: \
             give --sdk PATH (the sdk/ directory of a gale checkout)"
        ),
    };
    let path = path
        .canonicalize()
        .with_context(|| format!("--sdk {}: no such directory", path.display()))?;
    if !path.join("Cargo.toml").is_file() {
        bail!("--sdk {}: not a crate (no Cargo.toml)", path.display());
    }
    let testing = path.with_file_name("testing");
    if !testing.join("Cargo.toml").is_file() {
        bail!("{}: no gale-testing beside this SDK", testing.display());
    }
    let line =
        |name: &str, path: &Path| format!("{name} = {{ path = {:?} }}", path.display().to_string());
    Ok((line("gale-sdk", &path), line("gale-testing", &testing)))
}

/// Whether `name` can be a crate's and a plugin's name: a lowercase letter, then lowercase
/// letters, digits, `-` or `_`, at most 64 in all.
fn check_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !first || !rest || name.len() > 64 {
        bail!(
            "{name:?} cannot name a plugin: use a lowercase letter, then lowercase letters, \
             digits, - or _ (at most 64), e.g. my-plugin"
        );
    }
    Ok(())
}

/// Makes the crate `name` in `parent`/`name` from `template`; refuses a directory that
/// exists. Returns the crate's directory.
pub fn new_plugin(
    parent: &Path,
    name: &str,
    template: Template,
    sdk: Option<PathBuf>,
) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let dir = parent.join(name);
    if dir.exists() {
        bail!(
            "{} already exists: gale new makes a new directory",
            dir.display()
        );
    }
    let (sdk, testing) = sdk_dependencies(sdk)?;
    let hello = HELLO.replace("NAME", name);
    let (manifest, source, test) = match template {
        Template::Hello => (HELLO_MANIFEST, &*hello, HELLO_TEST),
        Template::Accounts => (
            include_str!("../../plugins/accounts/Cargo.toml"),
            include_str!("../../plugins/accounts/src/lib.rs"),
            ACCOUNTS_TEST,
        ),
        Template::Chat => (
            include_str!("../../plugins/chat/Cargo.toml"),
            include_str!("../../plugins/chat/src/lib.rs"),
            CHAT_TEST,
        ),
        Template::Gateway => (
            include_str!("../../plugins/gateway/Cargo.toml"),
            include_str!("../../plugins/gateway/src/lib.rs"),
            GATEWAY_TEST,
        ),
        Template::Notes => (
            include_str!("../../plugins/notes/Cargo.toml"),
            include_str!("../../plugins/notes/src/lib.rs"),
            NOTES_TEST,
        ),
    };
    let dependencies: Vec<&str> = std::iter::once(sdk.as_str())
        .chain(other_dependencies(manifest))
        .collect();
    let test = format!(
        "\n#[cfg(test)]\nmod tests {{\n    /// Against a real server: `cargo test` builds the plugin and serves it.\n    \
         #[test]\n    fn it_answers() {{\n        {test}\n    }}\n}}\n"
    );
    let mut files = vec![
        (
            "Cargo.toml",
            cargo_toml(name, &dependencies.join("\n"), &testing),
        ),
        (".gitignore", "/target\n/plugins\n".to_owned()),
        ("README.md", README.replace("NAME", name)),
        // NAME is a placeholder of this file's templates only, never of the examples' code.
        (
            "src/lib.rs",
            format!("{source}{}", test.replace("NAME", name)),
        ),
    ];
    files.extend(
        pages(template)
            .iter()
            .map(|(file, text)| (*file, text.replace("NAME", name))),
    );
    for (file, text) in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap_or(&dir))
            .and_then(|()| std::fs::write(&path, text))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(dir)
}

/// The hello template's dependencies, in an example plugin's manifest's words.
const HELLO_MANIFEST: &str = "[dependencies]\ngale-sdk.workspace = true\naskama.workspace = true\n";

/// The files a template brings besides its source: its templates and migrations.
fn pages(template: Template) -> &'static [(&'static str, &'static str)] {
    match template {
        Template::Hello => &[("templates/index.html", HELLO_PAGE)],
        Template::Accounts => &[
            (
                "templates/page.html",
                include_str!("../../plugins/accounts/templates/page.html"),
            ),
            (
                "templates/form.html",
                include_str!("../../plugins/accounts/templates/form.html"),
            ),
            (
                "templates/registered.html",
                include_str!("../../plugins/accounts/templates/registered.html"),
            ),
            (
                "templates/me.html",
                include_str!("../../plugins/accounts/templates/me.html"),
            ),
        ],
        Template::Chat => &[
            (
                "templates/chat.html",
                include_str!("../../plugins/chat/templates/chat.html"),
            ),
            // The example finds its head and foot in the Python chat's templates (its
            // askama.toml); a new crate has them beside its page.
            (
                "templates/chat-head.html",
                include_str!("../../plugins-py/chat/templates/chat-head.html"),
            ),
            (
                "templates/chat-foot.html",
                include_str!("../../plugins-py/chat/templates/chat-foot.html"),
            ),
        ],
        Template::Gateway => &[],
        Template::Notes => &[
            (
                "templates/notes.html",
                include_str!("../../plugins/notes/templates/notes.html"),
            ),
            (
                "migrations/0001_notes.sql",
                include_str!("../../plugins/notes/migrations/0001_notes.sql"),
            ),
        ],
    }
}

/// The example plugin's dependencies besides the SDK, as its manifest lists them; one the
/// workspace names (`x.workspace = true`) as the workspace's manifest gives it, since a new
/// crate is outside the workspace.
fn other_dependencies(manifest: &str) -> impl Iterator<Item = &str> {
    section(manifest, "[dependencies]")
        .filter(|line| !line.starts_with("gale-sdk"))
        .map(|line| match line.strip_suffix(".workspace = true") {
            Some(name) => section(WORKSPACE, "[workspace.dependencies]")
                .find(|given| given.split_whitespace().next() == Some(name))
                .unwrap_or(line),
            None => line,
        })
}

/// The workspace's manifest: the versions its plugins build with.
const WORKSPACE: &str = include_str!("../../Cargo.toml");

/// The non-empty lines of a manifest's `header` section.
fn section<'a>(manifest: &'a str, header: &str) -> impl Iterator<Item = &'a str> {
    manifest
        .lines()
        .skip_while(move |line| line.trim() != header)
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter(|line| !line.trim().is_empty())
}

fn cargo_toml(name: &str, dependencies: &str, testing: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         # A plugin is a library compiled to a WebAssembly component.\n[lib]\ncrate-type = [\"cdylib\"]\n\n\
         [dependencies]\n{dependencies}\n\n[dev-dependencies]\n{testing}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::{check_name, other_dependencies};

    #[test]
    fn a_template_brings_its_example_plugins_dependencies_but_the_sdk_with_the_workspaces_versions()
    {
        let manifest = "[package]\nname = \"chat\"\n\n[dependencies]\ngale-sdk.workspace = true\ngetrandom = \"0.3\"\naskama.workspace = true\n\n[lints]\nx = 1\n";
        assert_eq!(
            other_dependencies(manifest).collect::<Vec<_>>(),
            ["getrandom = \"0.3\"", "askama = \"0.16\""]
        );
    }

    #[test]
    fn plugin_names_are_what_cargo_and_a_file_name_both_accept() {
        for good in ["a", "my-plugin", "chat_2"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "9lives", "My", "a b", "../x", "a.b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
