//! Host bindings generated from `wit/gale.wit`.

// The generated items carry the WIT's own documentation where it has any.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: {
        "gale:web/response.flush": async | trappable,
        "gale:web/application.static-url": async | trappable,
        "gale:web/accounts": async | trappable,
        "gale:web/database": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

/// A plugin's instance: bindgen's name for the world, which in gale is one instance of a
/// plugin component (`Plugin` is the loaded plugin, in `plugins`).
pub type PluginInstance = Plugin;

/// The WIT package version this host implements; a plugin's imports must carry it. Read
/// from the package line of `wit/gale.wit`, so the two cannot drift apart.
pub const WIT_VERSION: &str = package_version(include_str!("../../../wit/gale.wit"));

/// The `X.Y.Z` of the `package gale:web@X.Y.Z;` line.
const fn package_version(wit: &str) -> &str {
    let (wit, line) = (wit.as_bytes(), b"package gale:web@".as_slice());
    let mut start = 0;
    while start + line.len() <= wit.len() {
        let (_, rest) = wit.split_at(start);
        let (head, after) = rest.split_at(line.len());
        if eq(head, line) {
            let mut end = 0;
            while after[end] != b';' {
                end += 1;
            }
            match std::str::from_utf8(after.split_at(end).0) {
                Ok(version) => return version,
                Err(_) => panic!("the WIT's package version is not UTF-8"),
            }
        }
        start += 1;
    }
    panic!("wit/gale.wit has no `package gale:web@...;` line")
}

/// Byte slices equal, in a const context.
const fn eq(one: &[u8], other: &[u8]) -> bool {
    if one.len() != other.len() {
        return false;
    }
    let mut at = 0;
    while at < one.len() {
        if one[at] != other[at] {
            return false;
        }
        at += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::package_version;

    #[test]
    fn the_version_is_read_from_the_package_line_wherever_it_is() {
        assert_eq!(package_version("package gale:web@0.3.0;\n"), "0.3.0");
        let documented = "/// The contract.\npackage gale:web@1.12.7-rc.1;\ninterface x {}";
        assert_eq!(package_version(documented), "1.12.7-rc.1");
        assert_eq!(
            package_version("// gale:web@9.9.9\npackage gale:web@0.4.2;"),
            "0.4.2"
        );
        let wit = include_str!("../../../wit/gale.wit");
        assert!(wit.contains(&format!("package gale:web@{};", super::WIT_VERSION)));
    }
}
