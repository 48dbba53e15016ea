//! The metrics' labels: each a small type whose values are bounded, cloned by reference
//! count on the hot path rather than allocated.

use std::sync::Arc;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};

/// Which route answered a request, as its labels and the access log name it.
#[derive(Clone, Debug, Default)]
pub struct RouteLabel {
    /// The plugin that declared it (empty for the host's own answers: 404, `--static`).
    pub plugin: Arc<str>,
    /// The plugin's version, its content hash (empty for the host's own answers).
    pub version: Arc<str>,
    /// The route's pattern (empty when no route matched).
    pub pattern: Arc<str>,
}

/// Why an instance was stopped.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum TrapKind {
    /// It panicked or hit `unreachable`.
    Panic,
    /// It asked for more than `--handler-memory` and failed for want of it.
    Memory,
    /// It overflowed its stack.
    Stack,
    /// It ran past its time limit.
    Timeout,
    /// Its response passed a cap or `--max-response-buffer`.
    Budget,
}

/// What became of a plugin file.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum LoadOutcome {
    /// A plugin not served before is now.
    Loaded,
    /// A new version replaced the one in force.
    Swapped,
    /// The file was refused (invalid, or its routes clash); what was in force stays.
    Refused,
    /// The file went, and its plugin with it.
    Removed,
}

macro_rules! label_names {
    ($($type:ty { $($variant:ident => $name:literal),* })*) => {$(
        impl $type {
            /// Its label value.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),* }
            }
        }

        impl EncodeLabelValue for $type {
            fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
                std::fmt::Write::write_str(encoder, self.as_str())
            }
        }
    )*};
}

label_names! {
    TrapKind { Panic => "panic", Memory => "memory", Stack => "stack", Timeout => "timeout", Budget => "budget" }
    LoadOutcome { Loaded => "loaded", Swapped => "swapped", Refused => "refused", Removed => "removed" }
}

/// The method as a label: one of HTTP's nine, else `other` (a client chooses the method, so
/// its text would make series without bound).
pub(super) fn method_label(method: &hyper::Method) -> &'static str {
    use hyper::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::DELETE => "DELETE",
        M::PATCH => "PATCH",
        M::OPTIONS => "OPTIONS",
        M::CONNECT => "CONNECT",
        M::TRACE => "TRACE",
        _ => "other",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RequestLabels {
    pub(super) plugin: Arc<str>,
    pub(super) route: Arc<str>,
    pub(super) method: &'static str,
    pub(super) code: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct RouteMethodLabels {
    pub(super) plugin: Arc<str>,
    pub(super) route: Arc<str>,
    pub(super) method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct TrapLabels {
    pub(super) plugin: Arc<str>,
    pub(super) kind: TrapKind,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct LoadLabels {
    pub(super) plugin: Arc<str>,
    pub(super) outcome: LoadOutcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct AccountLabels {
    pub(super) op: &'static str,
    pub(super) outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct DirectionLabels {
    pub(super) plugin: Arc<str>,
    pub(super) direction: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct PluginLabels {
    pub(super) plugin: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct InfoLabels {
    pub(super) plugin: Arc<str>,
    pub(super) version: Arc<str>,
}
