//! Host bindings generated from `wit/gale.wit`.

// The generated items carry the WIT's own documentation where it has any.
#![allow(missing_docs)]

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: {
        "gale:web/response.flush": async | trappable,
        "gale:web/response.static-url": async | trappable,
        "gale:web/accounts": async | trappable,
        default: trappable,
    },
    exports: { default: async },
});

/// The WIT package version this host implements; a plugin's imports must carry it.
pub const WIT_VERSION: &str = "0.1.0";
