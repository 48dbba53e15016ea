//! A route's init arguments for a built-in handler, as Tornado's `URLSpec` kwargs: read when
//! the plugin loads, so a bad one refuses the plugin with what to write instead.

use std::path::{Component, Path};

use super::Redirect;
use crate::http::static_dir::StaticFiles;

/// Init arguments that cannot configure their built-in handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitArgsError {
    /// A `RedirectHandler` with no `url`.
    RedirectWithoutUrl,
    /// A `RedirectHandler` whose `permanent` is not a boolean.
    PermanentNotBool,
    /// A `StaticFileHandler` with no `path`.
    StaticWithoutPath,
    /// A `StaticFileHandler` path that is absolute or climbs out with `..`.
    StaticOutside(String),
    /// A `StaticFileHandler` path that is the plugin directory itself.
    StaticIsPluginDir(String),
}

impl std::fmt::Display for InitArgsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::RedirectWithoutUrl => write!(f, "RedirectHandler needs {{\"url\": \"...\"}}"),
            Self::PermanentNotBool => {
                write!(f, "RedirectHandler's \"permanent\" must be true or false")
            }
            Self::StaticWithoutPath => write!(
                f,
                "StaticFileHandler needs {{\"path\": \"DIR\"}}, a directory beside the plugin"
            ),
            Self::StaticOutside(path) => write!(
                f,
                "StaticFileHandler's path {path:?} must be a directory inside the plugin \
                 directory (relative, without ..)"
            ),
            Self::StaticIsPluginDir(path) => write!(
                f,
                "StaticFileHandler's path {path:?} is the plugin directory itself, which holds \
                 every plugin's .wasm: use a directory inside it"
            ),
        }
    }
}

impl std::error::Error for InitArgsError {}

impl Redirect {
    /// Reads the route's init args; `url` is required, `permanent` defaults to true.
    pub fn from_init_args(args: &serde_json::Value) -> Result<Self, InitArgsError> {
        let url = args
            .get("url")
            .and_then(|url| url.as_str())
            .ok_or(InitArgsError::RedirectWithoutUrl)?;
        let permanent = match args.get("permanent") {
            None => true,
            Some(permanent) => permanent.as_bool().ok_or(InitArgsError::PermanentNotBool)?,
        };
        Ok(Self::new(url, permanent))
    }
}

/// The `StaticFileHandler` of a route's init args `{"path": DIR}`: DIR relative to
/// `plugin_dir`, with no `..`, not absolute, and not `plugin_dir` itself.
pub fn static_files(
    args: &serde_json::Value,
    plugin_dir: &Path,
) -> Result<StaticFiles, InitArgsError> {
    let path = args
        .get("path")
        .and_then(|path| path.as_str())
        .ok_or(InitArgsError::StaticWithoutPath)?;
    let relative = Path::new(path);
    let inside = relative
        .components()
        .all(|part| matches!(part, Component::Normal(_) | Component::CurDir));
    if !inside {
        return Err(InitArgsError::StaticOutside(path.to_owned()));
    }
    if relative.components().all(|part| part == Component::CurDir) {
        return Err(InitArgsError::StaticIsPluginDir(path.to_owned()));
    }
    Ok(StaticFiles::beside_plugin(plugin_dir, relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_needs_a_url_and_a_boolean_permanent() {
        assert!(Redirect::from_init_args(&serde_json::json!({"url": "/"})).is_ok());
        let missing = Redirect::from_init_args(&serde_json::json!({}));
        assert_eq!(missing, Err(InitArgsError::RedirectWithoutUrl));
        let args = serde_json::json!({"url": "/", "permanent": "no"});
        assert_eq!(
            Redirect::from_init_args(&args),
            Err(InitArgsError::PermanentNotBool)
        );
    }

    #[test]
    fn a_routes_static_directory_must_stay_inside_the_plugin_directory() {
        let dir = Path::new("/plugins");
        for path in ["../etc", "/etc", "assets/../../x"] {
            let args = serde_json::json!({ "path": path });
            let refused = static_files(&args, dir).err();
            assert_eq!(refused, Some(InitArgsError::StaticOutside(path.into())));
        }
        assert!(static_files(&serde_json::json!({"path": "assets"}), dir).is_ok());
        let refused = static_files(&serde_json::json!({}), dir).err();
        assert_eq!(refused, Some(InitArgsError::StaticWithoutPath));
        for itself in [".", "./.", "./"] {
            let args = serde_json::json!({ "path": itself });
            let refused = static_files(&args, dir).err();
            assert_eq!(
                refused,
                Some(InitArgsError::StaticIsPluginDir(itself.into()))
            );
        }
    }
}
