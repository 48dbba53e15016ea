//! The server's settings: command-line flags, each also read from a `GALE_*` variable, its
//! default written here once (`settings.rs` builds each subsystem's settings from them;
//! `parse.rs` reads their values).

mod parse;
mod settings;
mod tls;
mod waiting;

pub use parse::{
    parse_duration, parse_loopback, parse_plugin_reuse, parse_plugin_timeout, parse_size,
};
pub use settings::{ConnectionSettings, IntakeSettings};
pub use tls::{Listen, TlsOptions, parse_listen};
pub use waiting::WaitOptions;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How log lines are written (`--log-format`).
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Lines for a person: time, level, where, message, fields.
    Text,
    /// One JSON object a line, for log shippers.
    Json,
}

/// How `gale serve` (and `gale dev`) serve.
#[derive(clap::Args, Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on; port 0 picks a free port (printed at start). Give it twice
    /// (or comma-separated in the variable) for HTTP and HTTPS, as `http://ADDR` and
    /// `https://ADDR`; a bare address serves HTTPS when --tls-cert is given.
    #[arg(long, env = "GALE_LISTEN", default_value = "127.0.0.1:8000", value_name = "[SCHEME://]ADDR", value_delimiter = ',', value_parser = parse_listen)]
    pub listen: Vec<Listen>,

    /// Event loops (OS threads) sharing the port, as Tornado's `server.start(N)`.
    #[arg(long, env = "GALE_WORKERS", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,

    /// Wall-clock limit for a handler; past it the handler is stopped and the request is 503.
    #[arg(long, env = "GALE_HANDLER_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub handler_timeout: Duration,

    /// A time limit for one plugin's handlers instead of --handler-timeout, as PLUGIN=DURATION
    /// (repeat the flag, or separate with commas in the variable).
    #[arg(long = "plugin-timeout", env = "GALE_PLUGIN_TIMEOUT", value_name = "PLUGIN=D", value_delimiter = ',', value_parser = parse_plugin_timeout)]
    pub plugin_timeouts: Vec<(String, Duration)>,

    /// Let one instance of a plugin serve up to N requests, one at a time, as PLUGIN=N
    /// (repeat the flag, or separate with commas in the variable). Handlers are still new
    /// per request, but the plugin's statics persist; an instance that traps is dropped.
    /// The default is a fresh instance per request. A plugin with a shared instance
    /// (`--instances`) has it replaced after N requests (default 100,000).
    #[arg(long = "reuse-instances", env = "GALE_REUSE_INSTANCES", value_name = "PLUGIN=N", value_delimiter = ',', value_parser = parse_plugin_reuse)]
    pub reuse_instances: Vec<(String, u32)>,

    /// Linear memory a handler instance may use (e.g. 64MiB).
    #[arg(long, env = "GALE_HANDLER_MEMORY", default_value = "64MiB", value_parser = parse_size)]
    pub handler_memory: usize,

    /// Linear memory each instance slot keeps mapped between requests, its touched pages
    /// reset by memset instead of unmapped (0: off). The default spares plugins built by
    /// `gale build` every page fault and `madvise` per request, at the cost of up to this
    /// much RSS per instance slot ever used (slots used ≈ handlers alive at once).
    #[arg(long, env = "GALE_RESIDENT_MEMORY", default_value = "256KiB", value_parser = parse_size)]
    pub resident_memory: usize,

    /// Handler instances alive at once, across workers; beyond it a request waits for one
    /// (at most its handler time limit, then 503).
    #[arg(long, env = "GALE_MAX_INSTANCES", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_instances: u32,

    /// Largest request body accepted; larger is 413 (Tornado's default, 100MiB).
    #[arg(long, env = "GALE_MAX_BODY_SIZE", default_value = "100MiB", value_parser = parse_size)]
    pub max_body_size: usize,

    /// Arguments a request may carry, query and body together (each value of a name, and
    /// each multipart part, counts once); more is 400. Tornado has no such limit.
    #[arg(long, env = "GALE_MAX_ARGUMENTS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub max_arguments: u64,

    /// How long a shutdown waits for requests in flight before closing them.
    #[arg(long, env = "GALE_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    /// Unflushed response bytes a handler may buffer; beyond it the handler is stopped (500).
    #[arg(long, env = "GALE_MAX_RESPONSE_BUFFER", default_value = "64MiB", value_parser = parse_size)]
    pub max_response_buffer: usize,

    /// The largest WebSocket message (and frame) a client may send; beyond it the connection
    /// closes with 1009, as Tornado's `websocket_max_message_size`.
    #[arg(long, env = "GALE_WEBSOCKET_MAX_MESSAGE_SIZE", default_value = "10MiB", value_parser = parse_size)]
    pub websocket_max_message_size: usize,

    /// How often each WebSocket is pinged (0: never), as Tornado's `websocket_ping_interval`.
    /// Tornado's default is never; gale pings every 30s so that a silent or vanished client
    /// is found out and its place given back, and so that proxies (nginx's
    /// `proxy_read_timeout` is 60s by default) never see an idle connection.
    #[arg(long, env = "GALE_WEBSOCKET_PING_INTERVAL", default_value = "30s", value_parser = parse_duration)]
    pub websocket_ping_interval: Duration,

    /// How long a ping may go unanswered before the WebSocket is closed (1000, "ping timed
    /// out"); by default, and at most, the interval, as Tornado's `websocket_ping_timeout`.
    #[arg(long, env = "GALE_WEBSOCKET_PING_TIMEOUT", value_parser = parse_duration)]
    pub websocket_ping_timeout: Option<Duration>,

    /// The bytes queued for a WebSocket client that reads slowly (its messages and the
    /// topics' it is subscribed to) before the connection is closed with 1008; the kernel's
    /// socket buffer holds more besides.
    #[arg(long, env = "GALE_WEBSOCKET_SEND_BUFFER", default_value = "1MiB", value_parser = parse_size)]
    pub websocket_send_buffer: usize,

    /// Time to receive a complete request head, counted from the connection's opening or the
    /// previous response: closes slow-header (slowloris) and idle keep-alive connections.
    #[arg(long, env = "GALE_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// Time to receive a request body once its head has arrived; past it, 408.
    #[arg(long, env = "GALE_BODY_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub body_timeout: Duration,

    /// How long a response may wait for the client to read any of it; past it the
    /// connection is closed (a client that stops reading cannot hold it, or its handler).
    #[arg(long, env = "GALE_WRITE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub write_timeout: Duration,

    /// Connections open at once, across workers; beyond it, accepting pauses until one closes.
    #[arg(long, env = "GALE_MAX_CONNECTIONS", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// WebSockets open at once, across workers; an upgrade beyond it is 503. Below
    /// --max-connections, so plain requests always find a connection
    /// [default: nine tenths of --max-connections].
    #[arg(long, env = "GALE_MAX_WEBSOCKETS", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_websockets: Option<u32>,

    /// WebSockets open at once from one client address (under --xheaders, the address the
    /// proxy names); an upgrade beyond it is 503.
    #[arg(long, env = "GALE_MAX_WEBSOCKETS_PER_IP", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_websockets_per_ip: u32,

    /// Control frames (pings, pongs) a WebSocket client may send a second, in bursts of as
    /// many; past it the connection is closed with 1008.
    #[arg(long, env = "GALE_WEBSOCKET_MAX_CONTROL_RATE", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..))]
    pub websocket_max_control_rate: u32,

    /// The largest message a topic takes (publish's data): room for a WebSocket message of
    /// a chat (64 KiB, the chat's websocket_max_message_size) in a JSON envelope.
    #[arg(long, env = "GALE_TOPIC_MAX_MESSAGE", default_value = "256KiB", value_parser = parse_size)]
    pub topic_max_message: usize,

    /// The bytes one plugin's topic histories may hold together; past it the topic idle
    /// longest gives up its oldest messages first.
    #[arg(long, env = "GALE_TOPIC_MEMORY", default_value = "16MiB", value_parser = parse_size)]
    pub topic_memory: usize,

    /// Request header lines accepted; more is 431.
    #[arg(long, env = "GALE_MAX_HEADERS", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_headers: u32,

    /// Size of the request line and headers together (Tornado's 64KiB); larger is 431.
    #[arg(long, env = "GALE_MAX_HEADER_SIZE", default_value = "64KiB", value_parser = parse_size)]
    pub max_header_size: usize,

    /// Behind a reverse proxy: take `remote_ip` from X-Real-Ip / X-Forwarded-For and
    /// `protocol` from X-Scheme / X-Forwarded-Proto, as Tornado's `xheaders=True`.
    #[arg(long, env = "GALE_XHEADERS")]
    pub xheaders: bool,

    /// With --xheaders, believe only these proxies (addresses or networks, comma-separated),
    /// as Tornado's `trusted_downstream`: another peer is the client whatever its headers
    /// say, and X-Forwarded-For is walked from the right past the proxies listed.
    #[arg(long, env = "GALE_TRUSTED_PROXIES", value_name = "CIDR,...", value_delimiter = ',', requires = "xheaders", value_parser = crate::http::xheaders::parse_network)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// The secret that signs cookies (`set_signed_cookie`, xsrf), as Tornado's
    /// `cookie_secret`; plugins never see it. Without it (or --cookie-secret-file) a random
    /// secret is made at start, and signed cookies do not survive a restart.
    #[arg(
        long,
        env = "GALE_COOKIE_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub cookie_secret: Option<String>,

    /// A file whose contents (trailing newline removed) are the cookie secret.
    #[arg(
        long,
        env = "GALE_COOKIE_SECRET_FILE",
        value_name = "FILE",
        conflicts_with = "cookie_secret"
    )]
    pub cookie_secret_file: Option<PathBuf>,

    /// Sign every plugin's signed cookies with the cookie secret itself, as one Tornado
    /// application does, so a Tornado app given the same secret reads them. Without it each
    /// plugin signs with a secret of its own, HMAC-SHA256(cookie secret, plugin name), so no
    /// plugin can make a value another accepts.
    #[arg(long, env = "GALE_SHARED_COOKIE_SECRET")]
    pub shared_cookie_secret: bool,

    /// Serve this directory at /static/ with Tornado's StaticFileHandler, and make
    /// `static_url` point there.
    #[arg(long = "static", env = "GALE_STATIC", value_name = "DIR")]
    pub static_dir: Option<PathBuf>,

    /// The account store: mysql://USER:PASSWORD@HOST:PORT/DATABASE (or mariadb://...), or
    /// sqlite://PATH. Without it, an SQLite file in --data-dir, created on first run.
    #[arg(
        long,
        env = "GALE_DATABASE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Where gale keeps its own data: the embedded account store
    /// [default: $XDG_DATA_HOME/gale or ~/.local/share/gale].
    #[arg(long, env = "GALE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Give a plugin a MySQL or MariaDB database as PLUGIN[:NAME]=mysql://USER:PASSWORD@HOST:PORT/DB
    /// (repeat the flag, or separate with `;` in the variable): its handlers open it as
    /// `default` (or NAME). Without it, a plugin's databases are SQLite files in --data-dir.
    #[arg(long = "plugin-database", env = "GALE_PLUGIN_DATABASE", value_name = "PLUGIN=URL", value_delimiter = ';', value_parser = crate::databases::parse_given, hide_env_values = true)]
    pub plugin_databases: Vec<crate::databases::GivenDatabase>,

    /// Database connections each worker keeps at most.
    #[arg(long, env = "GALE_DATABASE_CONNECTIONS", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_connections: u32,

    /// How long a request waits for a database connection (the account store's, or a
    /// plugin's MySQL database's); past it, 503 (or the plugin's call fails as unavailable).
    #[arg(long, env = "GALE_DATABASE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub database_timeout: Duration,

    /// Do not watch the plugin directory; reload it only on SIGHUP.
    #[arg(long, env = "GALE_NO_WATCH")]
    pub no_watch: bool,

    /// Where compiled plugins are cached [default: $XDG_CACHE_HOME/gale or ~/.cache/gale].
    #[arg(long, env = "GALE_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Compile every plugin on load instead of using the compiled-code cache (wins over
    /// --cache-dir).
    #[arg(long, env = "GALE_NO_CACHE")]
    pub no_cache: bool,

    /// Share topics with other servers through Redis (`redis://HOST:PORT`): a message
    /// published on any reaches subscribers on all, in one order. Without it, topics are
    /// this server's own.
    #[arg(long, env = "GALE_PUBSUB", value_name = "URL")]
    pub pubsub: Option<String>,

    /// Serve the admin endpoint on this loopback address: a live page at `/`, Prometheus
    /// metrics at `/metrics` (recorded only with this flag), `/plugins` (read by `gale
    /// plugins`) and `/load`. Off by default.
    #[arg(long, env = "GALE_ADMIN", value_name = "ADDR", value_parser = parse_loopback)]
    pub admin: Option<SocketAddr>,

    /// Log every request at info level in Tornado's shape (`200 GET /path (127.0.0.1)
    /// 0.52ms`, warning from 400, error from 500), with the plugin, version and route.
    #[arg(long, env = "GALE_ACCESS_LOG", value_name = "on|off", default_value = "on", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub access_log: bool,

    /// How log lines are written: `text` for a person, `json` (one object a line) for a
    /// log shipper.
    #[arg(long, env = "GALE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// What handlers wait on (fetches, timers) and how their instances serve.
    #[command(flatten)]
    pub waiting: WaitOptions,

    /// Serving HTTPS without a proxy.
    #[command(flatten)]
    pub tls: TlsOptions,

    /// Python plugins served from their sources, by name (set by `gale dev`, not a flag):
    /// their templates are read as they are at each request.
    #[arg(skip)]
    pub live_sources: Vec<(String, PathBuf)>,
}

/// Where `gale serve` finds its plugins.
#[derive(clap::Args, Debug, Clone)]
pub struct PluginDir {
    /// Directory of compiled plugins (`*.wasm`); their routes are tried in file-name order.
    #[arg(long, env = "GALE_PLUGINS", value_name = "DIR")]
    pub plugins: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_hang_together_and_ping_websockets() {
        let defaults = ServeOptions::defaults();
        defaults.check().expect("the defaults pass their own check");
        let limits = defaults.handler_limits();
        assert_eq!(limits.websocket.ping_interval, Duration::from_secs(30));
        assert_eq!(limits.websocket.max_open, 9_000);
    }

    #[test]
    fn resident_memory_beyond_the_memory_limit_is_refused() {
        let limits = crate::runtime::HandlerLimits {
            memory: 1 << 20,
            resident_memory: 2 << 20,
            ..ServeOptions::defaults().handler_limits()
        };
        let error = crate::runtime::Runtime::new(limits, None)
            .err()
            .expect("refused");
        let error = error.to_string();
        assert!(error.contains("cannot exceed --handler-memory"), "{error}");
    }

    #[test]
    fn every_flag_and_variable_is_in_the_operating_manuals_configuration_table() {
        let manual = include_str!("../../../docs/operating.md");
        let command = <ServeOptions as clap::Args>::augment_args(clap::Command::new("serve"));
        for argument in command.get_arguments() {
            let Some(long) = argument.get_long() else {
                continue;
            };
            assert!(
                manual.contains(&format!("| `--{long}")),
                "--{long} is missing from docs/operating.md's configuration table"
            );
            if let Some(env) = argument.get_env() {
                let env = env.to_string_lossy();
                assert!(
                    manual.contains(&format!("| `{env}`")),
                    "{env} is not in docs/operating.md"
                );
            }
        }
    }
}
