//! Each subsystem's settings, built from the flags in one place: what a subsystem runs
//! under never reaches it as the whole command line.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::ServeOptions;
use crate::accounts::DatabaseSettings;
use crate::databases::DatabasesSettings;
use crate::http::site::SiteSettings;
use crate::runtime::{HandlerLimits, WebSocketSettings};
use crate::topics::TopicLimits;

/// What a request's intake runs under: the body's limits and the access log.
#[derive(Debug, Clone)]
pub struct IntakeSettings {
    /// `--max-body-size`.
    pub max_body_size: usize,
    /// `--body-timeout`.
    pub body_timeout: Duration,
    /// `--max-arguments`.
    pub max_arguments: usize,
    /// `--access-log`.
    pub access_log: bool,
}

/// What each connection runs under: the cap on them, hyper's head limits, the write
/// timeout and how long a shutdown waits for them.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    /// `--max-connections`.
    pub max_connections: usize,
    /// `--header-timeout`.
    pub header_timeout: Duration,
    /// `--max-headers`.
    pub max_headers: usize,
    /// `--max-header-size`.
    pub max_header_size: usize,
    /// `--write-timeout`.
    pub write_timeout: Duration,
    /// `--shutdown-timeout`.
    pub shutdown_timeout: Duration,
    /// `--hsts`: the `Strict-Transport-Security` value HTTPS responses carry.
    pub hsts: Option<hyper::header::HeaderValue>,
}

impl ServeOptions {
    /// The limits every handler instance runs under.
    pub fn handler_limits(&self) -> HandlerLimits {
        HandlerLimits {
            memory: self.handler_memory,
            timeout: self.handler_timeout,
            plugin_timeouts: self.plugin_timeouts.clone(),
            instances: self.max_instances,
            response_buffer: self.max_response_buffer,
            resident_memory: self.resident_memory,
            reuse: self.reuse_instances.clone(),
            modes: self.waiting.instances.clone(),
            pending: self.waiting.pending_limits(),
            wall_timeout: self.waiting.handler_wall_timeout,
            live_sources: self.live_sources.clone(),
            databases: Some(Arc::new(self.databases_settings())),
            websocket: WebSocketSettings {
                max_message: self.websocket_max_message_size,
                ping_interval: self.websocket_ping_interval,
                ping_timeout: self
                    .websocket_ping_timeout
                    .map_or(self.websocket_ping_interval, |timeout| {
                        timeout.min(self.websocket_ping_interval)
                    }),
                send_buffer: self.websocket_send_buffer,
                max_open: self.max_websockets() as usize,
                max_per_address: self.max_websockets_per_ip as usize,
                max_control_rate: self.websocket_max_control_rate,
            },
            topics: TopicLimits {
                max_message: self.topic_max_message,
                plugin_memory: self.topic_memory,
            },
        }
    }

    /// `--max-websockets`, or nine tenths of `--max-connections`.
    pub fn max_websockets(&self) -> u32 {
        self.max_websockets
            .unwrap_or((self.max_connections / 10 * 9).max(1))
    }

    /// Refuses settings that contradict each other, saying which to change.
    pub fn check(&self) -> anyhow::Result<()> {
        if self.max_websockets() >= self.max_connections {
            anyhow::bail!(
                "--max-websockets ({}) must be below --max-connections ({}), or WebSockets \
                 could take every connection and leave none for a plain request",
                self.max_websockets(),
                self.max_connections
            );
        }
        self.tls.endpoints(&self.listen)?;
        let wall = self.waiting.handler_wall_timeout;
        if wall < self.handler_timeout {
            anyhow::bail!(
                "--handler-wall-timeout ({wall:?}) must be at least --handler-timeout ({:?}): a \
                 handler's wall time is its running time and its waits together",
                self.handler_timeout
            );
        }
        Ok(())
    }

    /// What the site (cookies, proxies, static files) is made from.
    pub fn site_settings(&self) -> SiteSettings {
        SiteSettings {
            xheaders: self.xheaders,
            trusted_proxies: self.trusted_proxies.clone(),
            cookie_secret: self.cookie_secret.clone(),
            cookie_secret_file: self.cookie_secret_file.clone(),
            shared_secret: self.shared_cookie_secret,
            static_dir: self.static_dir.clone(),
        }
    }

    /// Where the plugins' own databases are.
    pub fn databases_settings(&self) -> DatabasesSettings {
        DatabasesSettings {
            data_dir: self.data_dir(),
            given: self.plugin_databases.clone(),
            acquire_timeout: self.database_timeout,
        }
    }

    /// What the account store's database is made from.
    pub fn database_settings(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.database.clone(),
            data_dir: self.data_dir(),
            connections: self.database_connections,
            timeout: self.database_timeout,
        }
    }

    /// The compiled-code cache directory, unless caching is off or no home can be found.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir
            .clone()
            .or_else(|| user_dir("XDG_CACHE_HOME", ".cache"))
    }

    /// What a request's intake runs under.
    pub fn intake_settings(&self) -> IntakeSettings {
        IntakeSettings {
            max_body_size: self.max_body_size,
            body_timeout: self.body_timeout,
            max_arguments: usize::try_from(self.max_arguments).unwrap_or(usize::MAX),
            access_log: self.access_log,
        }
    }

    /// What each connection runs under.
    pub fn connection_settings(&self) -> ConnectionSettings {
        ConnectionSettings {
            max_connections: self.max_connections as usize,
            header_timeout: self.header_timeout,
            max_headers: self.max_headers as usize,
            max_header_size: self.max_header_size,
            write_timeout: self.write_timeout,
            shutdown_timeout: self.shutdown_timeout,
            hsts: self.tls.hsts.map(|seconds| {
                let value = format!("max-age={seconds}");
                hyper::header::HeaderValue::try_from(value).expect("digits are a header value")
            }),
        }
    }

    /// The flags' defaults, as `gale serve` with no flag has them (and the `GALE_*`
    /// variables set): for what runs the host without a command line (`gale check`, the
    /// benchmarks).
    pub fn defaults() -> Self {
        use clap::{Args, FromArgMatches};
        let command = Self::augment_args(clap::Command::new("serve"));
        let matches = command
            .try_get_matches_from(["serve"])
            .expect("every flag has a default or is optional");
        Self::from_arg_matches(&matches).expect("the defaults parse")
    }

    /// The data directory: --data-dir, the user's data directory, or `./gale-data`.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| user_dir("XDG_DATA_HOME", ".local/share"))
            .unwrap_or_else(|| PathBuf::from("gale-data"))
    }
}

/// `$XDG_VARIABLE/gale` when the variable is an absolute path, else `$HOME/FALLBACK/gale`.
fn user_dir(xdg_variable: &str, fallback: &str) -> Option<PathBuf> {
    let home = || std::env::var_os("HOME").map(|home| PathBuf::from(home).join(fallback));
    std::env::var_os(xdg_variable)
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(home)
        .map(|dir| dir.join("gale"))
}
