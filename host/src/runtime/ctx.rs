//! What a plugin instance's store holds: the request, the response being built, and the
//! sandbox's own state.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

use super::output::{PluginOutput, Stream};
use super::pending::{Pending, PendingLimits};
use super::refusal::Refusal;
use crate::accounts::{AccountStore, User};
use crate::databases::{Databases, OpenTransactions};
use crate::http::body::{BodySender, ResponseBody, Sent};
use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::outbound::Outbound;
use crate::topics::{Subscription, Topic, Topics};

/// The data of one request's store, by concern: what the instance runs under for all its
/// requests (`sandbox`, the WASI context), and what belongs to the request alone (the
/// request, the response, its `delivery`, its `memo`), which [`Ctx::recycle`] replaces
/// whole for the next request of a reused instance, so no field can outlive its request.
pub struct Ctx {
    /// What the instance runs under.
    pub sandbox: Sandbox,
    /// The request being handled.
    pub request: Arc<RequestData>,
    /// The response being built.
    pub response: ResponseState,
    /// How the response reaches hyper, and the handler's clock.
    pub delivery: Delivery,
    /// What the request has looked up or decided once.
    pub memo: RequestMemo,
    /// The worker's account store and outbound HTTP: absent while a plugin's routes are
    /// read at load, and while a reused instance waits idle.
    pub services: Option<Arc<Services>>,
    wasi: WasiCtx,
    table: ResourceTable,
}

/// What a worker lends the requests it serves: its account store (its own pool on the
/// database), its outbound HTTP (its own connections) and the plugins' databases (its own
/// pools).
pub struct Services {
    /// The account store.
    pub accounts: Arc<AccountStore>,
    /// Outbound HTTP.
    pub outbound: Arc<Outbound>,
    /// The plugins' own databases.
    pub databases: Arc<Databases>,
}

/// What an instance runs under, the same for every request it serves.
pub struct Sandbox {
    /// The plugin's name, for log lines.
    pub plugin: Arc<str>,
    /// The memory and instance caps.
    pub limits: super::traps::MemoryCap,
    /// The bytes of memory the instance may grow to (`--max-memory`).
    pub memory: usize,
    /// The host memory a response may hold (`--max-response-buffer`).
    pub response_buffer: usize,
    /// The handler's time limit (`--handler-timeout`, or its plugin's).
    pub timeout: Duration,
    /// Every plugin's topics (the plugin reaches its own).
    pub topics: Arc<Topics>,
    /// The bytes a WebSocket event may queue (`--websocket-send-buffer`).
    pub websocket_send_buffer: usize,
    /// The places for open WebSockets, taken by `accept`.
    pub websockets: Arc<super::slots::WebSocketSlots>,
    /// What the handler may wait on at once.
    pub pending_limits: PendingLimits,
    /// How long a request's handler may take in all, waits included
    /// (`--handler-wall-timeout`).
    pub wall_timeout: Duration,
    /// The worker's place its fresh instance holds while its stage runs.
    pub running: super::running::Running,
}

/// How a request's response reaches hyper.
pub struct Delivery {
    /// Where the response goes when it is ready: at the first `flush`, or at the end.
    pub head: Option<oneshot::Sender<hyper::Response<ResponseBody>>>,
    /// The body's sender once a `flush` has sent the head.
    pub stream: Option<BodySender>,
    /// Resolves when a streamed body has been sent.
    pub sent: Option<Sent>,
    /// The connection, for a WebSocket upgrade the handler accepts.
    pub upgrade: Option<hyper::upgrade::OnUpgrade>,
    /// A response streaming a topic's events, to run once the instance is gone.
    pub events: Option<super::events::EventStream>,
    /// Where the handler's time limit counts from: its start, then its latest `flush` that
    /// sent something, so a handler streaming a long response is not stopped while it makes
    /// progress, however slow the client.
    pub running_since: Instant,
}

impl Default for Delivery {
    /// Nothing sent yet, the clock starting now.
    fn default() -> Self {
        Self {
            head: None,
            stream: None,
            sent: None,
            upgrade: None,
            events: None,
            running_since: Instant::now(),
        }
    }
}

/// The request's xsrf token once read or made.
pub struct XsrfState {
    /// The token itself.
    pub raw: crate::http::xsrf::RawToken,
    /// Whether the request's `_xsrf` cookie carried it (else the response sets one).
    pub from_cookie: bool,
    /// The masked form handed out, once asked for.
    pub masked: Option<String>,
}

/// Tornado's `current_user` once looked up: `None` for a request without a live session.
pub type CurrentUser = Option<User>;

/// What a request has looked up or decided once, and keeps for its rest.
#[derive(Default)]
pub struct RequestMemo {
    /// The xsrf token.
    pub xsrf: Option<XsrfState>,
    /// The session's user, once looked up.
    pub current_user: Option<CurrentUser>,
    /// Set when the SDK reports that the handler's `on_finish` is the default no-op.
    pub on_finish_unused: bool,
    /// A refusal the host answers instead of the handler's response.
    pub refusal: Option<Refusal>,
    /// What a WebSocket event exchanges with the handler.
    pub socket: SocketMemo,
    /// The topic the response is to stream as events, once the handler returns.
    pub event_stream: Option<Arc<Topic>>,
    /// What the request is to wait for, parked, once the handler returns.
    pub wait: Option<Wait>,
    /// The fetches and timers its handler waits on.
    pub pending: Pending,
    /// Other requests of its (shared) instance that its stage made ready to go on.
    pub woken: Vec<u64>,
    /// The transactions it holds open on its plugin's databases (rolled back if it ends so).
    pub transactions: OpenTransactions,
    /// The statements it has run on them.
    pub database_calls: u32,
}

/// What a handler asked to wait for.
pub struct Wait {
    /// The topic.
    pub topic: Arc<Topic>,
    /// The id of the last message the client has.
    pub cursor: Option<String>,
    /// How long at most.
    pub timeout: Duration,
}

/// What a WebSocket event (or the upgrade) exchanges with the handler.
#[derive(Default)]
pub struct SocketMemo {
    /// Set by `accept`: the `Sec-WebSocket-Accept` value the 101 carries.
    pub accepted: Option<String>,
    /// The connection's place among the open WebSockets, taken by `accept`.
    pub slot: Option<super::slots::WebSocketSlot>,
    /// Frames to send when the event ends, in order, and their bytes.
    pub outbox: Vec<tokio_tungstenite::tungstenite::Message>,
    /// The bytes of `outbox`.
    pub outbox_bytes: usize,
    /// Set by `close`: the close frame to send (`None` inside: one without a code).
    pub close: Option<Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>>,
    /// The connection's state, handed in before the event and read back after it.
    pub state: Vec<u8>,
    /// The client's close frame, for `on_close`.
    pub peer_close: Option<(u16, String)>,
    /// Whether this is an event on an open connection (not the upgrade request).
    pub open: bool,
    /// The topics the connection was subscribed to when the event began.
    pub subscribed: Vec<Arc<str>>,
    /// Subscriptions made (`Some`, reading from the moment of the call) and ended (`None`),
    /// one per topic name, in the order first asked.
    pub subscriptions: Vec<(Arc<str>, Option<Subscription>)>,
}

/// Where a Python plugin's directory is while its snapshot is made: componentize-py shows the
/// `-p` directories as `/0`, `/1`, … in order, and `plugins/python.rs` gives the plugin's
/// second. `gale dev` shows the sources there again while serving, so the paths in the
/// snapshot name them and templates are read live.
pub const PYTHON_SOURCES_AT: &str = "/1";

impl Ctx {
    /// The store data for `request`: no files, no network, no environment; stdout and
    /// stderr become log lines tagged with the plugin (so a panic message is seen),
    /// rate-limited. Under `gale dev`, a Python plugin also sees its `sources`, read-only.
    pub fn new(sandbox: Sandbox, request: Arc<RequestData>, sources: Option<&Path>) -> Self {
        let mut wasi = WasiCtx::builder();
        wasi.stdout(PluginOutput::new(sandbox.plugin.clone(), Stream::Stdout))
            .stderr(PluginOutput::new(sandbox.plugin.clone(), Stream::Stderr));
        if let Some(sources) = sources {
            // Where its build saw them, so the paths in its snapshot name the files.
            let shown = wasi.preopened_dir(sources, PYTHON_SOURCES_AT, FsPerms::ReadOnly);
            if let Err(error) = shown {
                tracing::warn!(plugin = %sandbox.plugin, "cannot show the plugin its sources at {}: {error}; its templates are those it was built with", sources.display());
            }
        }
        let wasi = wasi.build();
        Self {
            sandbox,
            request,
            response: ResponseState::default(),
            delivery: Delivery::default(),
            memo: RequestMemo::default(),
            services: None,
            wasi,
            table: ResourceTable::new(),
        }
    }

    /// Readies a reused instance's store for `request`: everything of the previous request
    /// goes, the sandbox (limits, output) stays.
    pub fn recycle(&mut self, request: Arc<RequestData>) {
        self.sandbox.limits.refused = false;
        self.request = request;
        self.response = ResponseState::default();
        self.delivery = Delivery::default();
        self.memo = RequestMemo::default();
    }

    /// Drops what ties an idle store to the request it served (and through its route table,
    /// to the plugin).
    pub fn vacate(&mut self) {
        self.recycle(RequestData::placeholder());
        self.services = None;
    }
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
