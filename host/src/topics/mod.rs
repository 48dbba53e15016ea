//! Topics: publish/subscribe owned by the host, as Tornado's chat demo keeps its message
//! buffer. Each plugin has its own topics (no plugin can reach another's subscribers), and a
//! byte budget they share; each topic keeps a bounded history, so a client that comes back
//! catches up from its cursor (the id of the last message it saw), and subscribers read
//! from that history, so a slow one pins nothing. One registry serves every worker of the
//! process: a publish takes the topic's lock, so every subscriber on every loop sees one
//! order. With `--pubsub`, publishes go through Redis to every server (`relay.rs`).

pub mod relay;
mod topic;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tokio_tungstenite::tungstenite::Utf8Bytes;

pub use topic::{Lagged, Published, Subscription, Topic};

/// Messages a topic keeps for those who come back, as Tornado's chat demo (`cache_size`).
pub const HISTORY: usize = 200;
/// The bytes a topic's history may hold; older messages go first beyond it.
pub const HISTORY_BYTES: usize = 1 << 20;
/// The longest topic name or message id.
pub const MAX_NAME: usize = 256;
/// Topics a plugin may have; past it, the one idle longest without subscribers goes.
pub const MAX_TOPICS: usize = 1024;

/// What every plugin's topics run under (`--topic-max-message`, `--topic-memory`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopicLimits {
    /// The largest message a topic takes.
    pub max_message: usize,
    /// The bytes one plugin's topics may hold in their histories, together.
    pub plugin_memory: usize,
}

/// Why a publish or a subscription was refused: the handler's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicError {
    /// A topic name or id longer than [`MAX_NAME`], or empty.
    BadName(&'static str),
    /// A message longer than the limit (the size, the limit).
    TooLarge(usize, usize),
    /// The plugin has [`MAX_TOPICS`] topics, each with a subscriber.
    TooManyTopics,
    /// No plugin of that name is loaded (a relayed message for a plugin this server lacks).
    UnknownPlugin,
}

impl std::fmt::Display for TopicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadName(what) => write!(f, "a topic's {what} must be 1 to {MAX_NAME} bytes"),
            Self::TooLarge(bytes, limit) => write!(
                f,
                "a topic message holds at most {limit} bytes, not {bytes} (--topic-max-message)"
            ),
            Self::TooManyTopics => write!(
                f,
                "a plugin has at most {MAX_TOPICS} topics, and every one has subscribers"
            ),
            Self::UnknownPlugin => f.write_str("no such plugin is loaded here"),
        }
    }
}

impl std::error::Error for TopicError {}

/// Refuses an empty or overlong topic name.
pub fn check_name(name: &str) -> Result<(), TopicError> {
    match name.is_empty() || name.len() > MAX_NAME {
        true => Err(TopicError::BadName("name")),
        false => Ok(()),
    }
}

/// What one plugin's topics hold together, and what they may.
pub struct Budget {
    held: AtomicUsize,
    limits: TopicLimits,
    /// Its publishes waiting for Redis (`--pubsub`), so one plugin cannot fill the queue.
    relaying: AtomicUsize,
    /// Counts its publishes: the topics' clock for "idle longest".
    clock: AtomicU64,
}

impl Budget {
    fn new(limits: TopicLimits) -> Self {
        Self {
            held: AtomicUsize::new(0),
            limits,
            relaying: AtomicUsize::new(0),
            clock: AtomicU64::new(0),
        }
    }

    /// Refuses an empty or overlong id, or overlong data.
    fn check(&self, id: &str, data: &str) -> Result<(), TopicError> {
        if id.is_empty() || id.len() > MAX_NAME {
            return Err(TopicError::BadName("message id"));
        }
        let limit = self.limits.max_message;
        match data.len() > limit {
            true => Err(TopicError::TooLarge(data.len(), limit)),
            false => Ok(()),
        }
    }

    fn take(&self, bytes: usize) {
        self.held.fetch_add(bytes, Ordering::Relaxed);
    }

    fn give(&self, bytes: usize) {
        self.held.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Whether the plugin's histories hold more than it may.
    fn over(&self) -> bool {
        self.held.load(Ordering::Relaxed) > self.limits.plugin_memory
    }

    /// The next tick of the plugin's clock (one per publish): a topic published to later
    /// has a later tick.
    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }
}

/// Every loaded plugin's topics.
pub struct Topics {
    by_plugin: Mutex<HashMap<Arc<str>, PluginTopics>>,
    limits: TopicLimits,
    /// Where publishes go when topics are shared across servers (`--pubsub`).
    relay: OnceLock<Arc<relay::Relay>>,
}

/// One plugin's topics by name, and their budget.
struct PluginTopics {
    topics: HashMap<String, Arc<Topic>>,
    budget: Arc<Budget>,
}

impl Topics {
    /// Topics under `limits`, for no plugin yet.
    pub fn new(limits: TopicLimits) -> Self {
        Self {
            by_plugin: Mutex::default(),
            limits,
            relay: OnceLock::new(),
        }
    }

    fn plugins(&self) -> MutexGuard<'_, HashMap<Arc<str>, PluginTopics>> {
        self.by_plugin.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Shares publishes through `relay` from now on.
    fn relay_through(&self, relay: Arc<relay::Relay>) {
        let _ = self.relay.set(relay);
    }

    /// Opens topics to `plugin`, loaded now (a swap keeps a plugin's topics).
    pub fn register(&self, plugin: &Arc<str>) {
        let limits = self.limits;
        self.plugins()
            .entry(plugin.clone())
            .or_insert_with(|| PluginTopics {
                topics: HashMap::new(),
                budget: Arc::new(Budget::new(limits)),
            });
    }

    /// Frees `plugin`'s topics, removed now: their histories go at once (subscribers still
    /// open keep only the topic itself until they close).
    pub fn remove(&self, plugin: &str) {
        if let Some(gone) = self.plugins().remove(plugin) {
            gone.topics.values().for_each(|topic| topic.clear());
        }
    }

    /// Publishes `data` under `id` to `plugin`'s topic `name`: with `--pubsub` through
    /// Redis, whence it comes back to every server (this one included, an instant later),
    /// else (or while Redis is away, or the plugin's share of its queue is full) here at once.
    pub fn publish(
        &self,
        plugin: &Arc<str>,
        name: &str,
        id: &str,
        data: String,
    ) -> Result<(), TopicError> {
        let topic = self.topic(plugin, name)?;
        topic.budget.check(id, &data)?;
        if let Some(relay) = self.relay.get() {
            let message = relay::Relayed {
                plugin: plugin.clone(),
                topic: name.to_owned(),
                id: id.to_owned(),
                data,
            };
            let Err(message) = relay.send(message, &topic.budget) else {
                return Ok(());
            };
            return self.publish_here(plugin, &topic, id, message.data);
        }
        self.publish_here(plugin, &topic, id, data)
    }

    /// Publishes a message that came back from Redis on this server alone.
    fn deliver(&self, message: relay::Relayed) -> Result<(), TopicError> {
        let topic = self.topic(&message.plugin, &message.topic)?;
        self.publish_here(&message.plugin, &topic, &message.id, message.data)
    }

    /// Publishes to `topic` of `plugin` here, then keeps the plugin within its budget.
    fn publish_here(
        &self,
        plugin: &str,
        topic: &Arc<Topic>,
        id: &str,
        data: String,
    ) -> Result<(), TopicError> {
        if topic.publish(id, Utf8Bytes::from(data))? {
            self.make_room(plugin, topic);
        }
        Ok(())
    }

    /// `plugin`'s topic `name`, made on first use; past [`MAX_TOPICS`], the topic idle
    /// longest without a subscriber makes way.
    pub fn topic(&self, plugin: &Arc<str>, name: &str) -> Result<Arc<Topic>, TopicError> {
        check_name(name)?;
        let mut plugins = self.plugins();
        let owned = plugins.get_mut(plugin).ok_or(TopicError::UnknownPlugin)?;
        if let Some(topic) = owned.topics.get(name) {
            return Ok(topic.clone());
        }
        if owned.topics.len() >= MAX_TOPICS {
            let idlest = owned
                .topics
                .iter()
                .filter(|(_, topic)| !topic.has_subscribers())
                .min_by_key(|(_, topic)| topic.last_used())
                .map(|(name, _)| name.clone())
                .ok_or(TopicError::TooManyTopics)?;
            if let Some(gone) = owned.topics.remove(&idlest) {
                gone.clear();
            }
        }
        let topic = Arc::new(Topic::new(owned.budget.clone()));
        owned.topics.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }

    /// Brings `plugin` within its budget after a publish to `published`: its topics give up
    /// their oldest messages, the topic idle longest first, `published` last and keeping the
    /// message just published.
    fn make_room(&self, plugin: &str, published: &Arc<Topic>) {
        let plugins = self.plugins();
        let Some(owned) = plugins.get(plugin) else {
            return;
        };
        let mut by_age: Vec<&Arc<Topic>> = owned.topics.values().collect();
        by_age.sort_by_key(|topic| (Arc::ptr_eq(topic, published), topic.last_used()));
        for topic in by_age {
            let keep = usize::from(Arc::ptr_eq(topic, published));
            while owned.budget.over() && topic.shed_oldest(keep) {}
        }
    }
}

#[cfg(test)]
mod tests;
