//! Topics: publish/subscribe owned by the host, as Tornado's chat demo keeps its message
//! buffer. Each plugin has its own topics (no plugin can reach another's subscribers); each
//! topic keeps a bounded history, so a client that comes back catches up from its cursor
//! (the id of the last message it saw). One registry serves every worker of the process:
//! a publish takes the topic's lock, so every subscriber on every loop sees one order.
//! With `--pubsub`, publishes go through Redis to every server (`relay.rs`).

pub mod relay;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::broadcast;

/// Messages a topic keeps for those who come back, as Tornado's chat demo (`cache_size`).
pub const HISTORY: usize = 200;
/// The bytes a topic's history may hold; older messages go first beyond it.
pub const HISTORY_BYTES: usize = 1 << 20;
/// The largest message a topic takes.
pub const MAX_MESSAGE: usize = 64 << 10;
/// The longest topic name or message id.
pub const MAX_NAME: usize = 256;
/// Topics a plugin may have.
pub const MAX_TOPICS: usize = 1024;
/// Messages a subscriber may be behind before it is cut off (a slow consumer).
pub const QUEUE: usize = 256;

/// A published message: the publisher's id (the cursor clients resume from) and its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Its id.
    pub id: Arc<str>,
    /// Its data, as sent to WebSockets and event streams.
    pub data: Arc<str>,
}

/// Why a publish was refused: the handler's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicError {
    /// A topic name or id longer than [`MAX_NAME`], or empty.
    BadName(&'static str),
    /// A message longer than [`MAX_MESSAGE`].
    TooLarge(usize),
    /// The plugin has [`MAX_TOPICS`] topics already.
    TooManyTopics,
}

impl std::fmt::Display for TopicError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::BadName(what) => {
                write!(f, "a topic's {what} must be 1 to {MAX_NAME} bytes")
            }
            Self::TooLarge(bytes) => {
                write!(
                    f,
                    "a topic message holds at most {MAX_MESSAGE} bytes, not {bytes}"
                )
            }
            Self::TooManyTopics => write!(f, "a plugin has at most {MAX_TOPICS} topics"),
        }
    }
}

impl std::error::Error for TopicError {}

/// Every plugin's topics.
#[derive(Default)]
pub struct Topics {
    by_plugin: Mutex<HashMap<Arc<str>, PluginTopics>>,
    /// Where publishes go when topics are shared across servers (`--pubsub`).
    relay: OnceLock<Arc<relay::Relay>>,
}

/// One plugin's topics by name.
type PluginTopics = HashMap<String, Arc<Topic>>;

impl Topics {
    /// Shares publishes through `relay` from now on.
    fn relay_through(&self, relay: Arc<relay::Relay>) {
        let _ = self.relay.set(relay);
    }

    /// Publishes `data` under `id` to `plugin`'s topic `name`: with `--pubsub` through
    /// Redis, whence it comes back to every server (this one included, an instant later),
    /// else (or while Redis is away) here at once.
    pub fn publish(
        &self,
        plugin: &Arc<str>,
        name: &str,
        id: &str,
        data: &str,
    ) -> Result<(), TopicError> {
        let topic = self.topic(plugin, name)?;
        check(id, data)?;
        if let Some(relay) = self.relay.get() {
            let message = relay::Relayed {
                plugin: plugin.clone(),
                topic: name.to_owned(),
                id: id.to_owned(),
                data: data.to_owned(),
            };
            if relay.send(message).is_ok() {
                return Ok(());
            }
        }
        topic.publish(id, data)
    }

    /// `plugin`'s topic `name`, made on first use.
    pub fn topic(&self, plugin: &Arc<str>, name: &str) -> Result<Arc<Topic>, TopicError> {
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(TopicError::BadName("name"));
        }
        let mut by_plugin = self.by_plugin.lock().unwrap_or_else(|e| e.into_inner());
        let topics = by_plugin.entry(plugin.clone()).or_default();
        if let Some(topic) = topics.get(name) {
            return Ok(topic.clone());
        }
        if topics.len() >= MAX_TOPICS {
            return Err(TopicError::TooManyTopics);
        }
        let topic = Arc::new(Topic::default());
        topics.insert(name.to_owned(), topic.clone());
        Ok(topic)
    }
}

/// Refuses an empty or overlong id, or overlong data.
fn check(id: &str, data: &str) -> Result<(), TopicError> {
    if id.is_empty() || id.len() > MAX_NAME {
        return Err(TopicError::BadName("message id"));
    }
    if data.len() > MAX_MESSAGE {
        return Err(TopicError::TooLarge(data.len()));
    }
    Ok(())
}

/// One topic: its history and its subscribers.
pub struct Topic {
    history: Mutex<History>,
    sender: broadcast::Sender<Arc<Published>>,
}

impl Default for Topic {
    fn default() -> Self {
        Self {
            history: Mutex::default(),
            sender: broadcast::channel(QUEUE).0,
        }
    }
}

/// The last messages, oldest first, within [`HISTORY`] and [`HISTORY_BYTES`].
#[derive(Default)]
struct History {
    messages: VecDeque<Arc<Published>>,
    bytes: usize,
}

impl History {
    /// The messages after the one `cursor` names: all without a cursor, or when it is no
    /// longer (or never was) in the history, as Tornado's `get_messages_since`.
    fn since(&self, cursor: Option<&str>) -> Vec<Arc<Published>> {
        let start = cursor
            .and_then(|cursor| self.messages.iter().rposition(|m| &*m.id == cursor))
            .map_or(0, |at| at + 1);
        self.messages.iter().skip(start).cloned().collect()
    }
}

impl Topic {
    /// Publishes `data` under `id`: into the history, then to every subscriber, in one
    /// order for all (the history's lock is held while sending).
    pub fn publish(&self, id: &str, data: &str) -> Result<(), TopicError> {
        check(id, data)?;
        let message = Arc::new(Published {
            id: id.into(),
            data: data.into(),
        });
        let mut history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.bytes += message.id.len() + message.data.len();
        history.messages.push_back(message.clone());
        while history.messages.len() > HISTORY || history.bytes > HISTORY_BYTES {
            let Some(old) = history.messages.pop_front() else {
                break;
            };
            history.bytes -= old.id.len() + old.data.len();
        }
        // No subscriber is no error: the history keeps it.
        let _ = self.sender.send(message);
        Ok(())
    }

    /// The history after `cursor` (see [`History::since`]).
    pub fn since(&self, cursor: Option<&str>) -> Vec<Arc<Published>> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.since(cursor)
    }

    /// The id of the newest message, if any: where a subscription made now starts.
    pub fn newest(&self) -> Option<Arc<str>> {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        history.messages.back().map(|message| message.id.clone())
    }

    /// A subscription from now on, with the history after `cursor` taken at the same
    /// moment: nothing is missed or seen twice between the two.
    pub fn subscribe(
        &self,
        cursor: Option<&str>,
    ) -> (Vec<Arc<Published>>, broadcast::Receiver<Arc<Published>>) {
        let history = self.history.lock().unwrap_or_else(|e| e.into_inner());
        (history.since(cursor), self.sender.subscribe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(messages: &[Arc<Published>]) -> Vec<&str> {
        messages.iter().map(|m| &*m.id).collect()
    }

    #[test]
    fn the_history_after_a_cursor_is_what_came_after_it_or_everything() {
        let topic = Topic::default();
        for id in ["a", "b", "c"] {
            topic.publish(id, "x").unwrap();
        }
        assert_eq!(ids(&topic.since(Some("a"))), ["b", "c"]);
        assert_eq!(ids(&topic.since(Some("c"))), Vec::<&str>::new());
        assert_eq!(ids(&topic.since(None)), ["a", "b", "c"]);
        assert_eq!(ids(&topic.since(Some("gone"))), ["a", "b", "c"]);
    }

    #[test]
    fn the_history_keeps_the_last_200_messages() {
        let topic = Topic::default();
        for n in 0..250 {
            topic.publish(&n.to_string(), "x").unwrap();
        }
        let kept = topic.since(None);
        assert_eq!(kept.len(), HISTORY);
        assert_eq!(&*kept[0].id, "50");
    }

    #[test]
    fn a_subscriber_gets_what_is_published_after_it_in_order() {
        let topic = Topic::default();
        topic.publish("before", "0").unwrap();
        let (missed, mut receiver) = topic.subscribe(None);
        assert_eq!(ids(&missed), ["before"]);
        topic.publish("1", "one").unwrap();
        topic.publish("2", "two").unwrap();
        assert_eq!(&*receiver.try_recv().unwrap().data, "one");
        assert_eq!(&*receiver.try_recv().unwrap().data, "two");
    }

    #[test]
    fn plugins_have_topics_of_their_own() {
        let topics = Topics::default();
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        topics
            .topic(&a, "chat")
            .unwrap()
            .publish("1", "from a")
            .unwrap();
        assert!(topics.topic(&b, "chat").unwrap().since(None).is_empty());
        assert_eq!(topics.topic(&a, "chat").unwrap().since(None).len(), 1);
    }

    #[test]
    fn names_and_messages_are_bounded() {
        let topics = Topics::default();
        let plugin: Arc<str> = "p".into();
        assert!(topics.topic(&plugin, "").is_err());
        assert!(topics.topic(&plugin, &"n".repeat(MAX_NAME + 1)).is_err());
        let topic = topics.topic(&plugin, "t").unwrap();
        let large = "x".repeat(MAX_MESSAGE + 1);
        assert_eq!(
            topic.publish("1", &large),
            Err(TopicError::TooLarge(large.len()))
        );
    }
}
