//! Topics across servers (`--pubsub redis://HOST:PORT`): every publish goes through one
//! Redis channel and comes back to every server, the publisher's own included, so each
//! topic has one order on all of them; each server keeps its own history from what comes
//! back. While Redis cannot be reached, publishing is local (one log line), and shared
//! again once it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;

use super::Topics;

/// The channel every server publishes to and listens on.
const CHANNEL: &str = "gale:topics";
/// Publishes that may wait for the connection; beyond it they are delivered locally.
const QUEUE: usize = 4096;
/// How long to wait before connecting again.
const RETRY: Duration = Duration::from_secs(1);

/// A message on its way to Redis.
pub(super) struct Relayed {
    pub(super) plugin: Arc<str>,
    pub(super) topic: String,
    pub(super) id: String,
    pub(super) data: String,
}

/// What the topics hold of the relay: where to send a publish, and whether it comes back.
pub struct Relay {
    sender: mpsc::Sender<Relayed>,
    online: AtomicBool,
}

impl Relay {
    /// Hands `message` to Redis; gives it back when it cannot (offline, or the queue full)
    /// so that it is delivered locally instead.
    pub(super) fn send(&self, message: Relayed) -> Result<(), Relayed> {
        if !self.online.load(Ordering::Acquire) {
            return Err(message);
        }
        self.sender.try_send(message).map_err(|error| match error {
            mpsc::error::TrySendError::Full(message) => message,
            mpsc::error::TrySendError::Closed(message) => message,
        })
    }
}

/// Checks `url` and makes the relay; the returned future connects, relays and reconnects
/// for as long as the process runs (spawn it on a loop).
pub fn start(url: &str, topics: Arc<Topics>) -> anyhow::Result<impl Future<Output = ()> + use<>> {
    let client = redis::Client::open(url)
        .map_err(|error| anyhow::anyhow!("--pubsub {url:?} is not a Redis URL: {error}"))?;
    let (sender, receiver) = mpsc::channel(QUEUE);
    let relay = Arc::new(Relay {
        sender,
        online: AtomicBool::new(false),
    });
    topics.relay_through(relay.clone());
    let shown = url.to_owned();
    Ok(run(client, shown, topics, relay, receiver))
}

async fn run(
    client: redis::Client,
    url: String,
    topics: Arc<Topics>,
    relay: Arc<Relay>,
    mut outgoing: mpsc::Receiver<Relayed>,
) {
    let mut was_down = false;
    loop {
        match connect(&client).await {
            Ok((mut pubsub, mut connection)) => {
                relay.online.store(true, Ordering::Release);
                match was_down {
                    true => tracing::info!("Redis at {url} is back: topics are shared again"),
                    false => tracing::info!(
                        "topics are shared with other servers through Redis at {url}"
                    ),
                }
                let lost =
                    relay_while_up(&mut pubsub, &mut connection, &topics, &mut outgoing).await;
                relay.online.store(false, Ordering::Release);
                let Some(why) = lost else { return };
                tracing::error!(
                    "lost Redis at {url} ({why}): topics are local to this server until it is back"
                );
                was_down = true;
            }
            Err(error) if !was_down => {
                tracing::error!(
                    "cannot reach Redis at {url} ({error}): topics are local to this server \
                     until it can (check --pubsub and that Redis is running)"
                );
                was_down = true;
            }
            Err(_) => {}
        }
        // What was queued as the connection went is delivered here, not lost.
        while let Ok(message) = outgoing.try_recv() {
            deliver_locally(&topics, message);
        }
        tokio::time::sleep(RETRY).await;
    }
}

async fn connect(
    client: &redis::Client,
) -> redis::RedisResult<(redis::aio::PubSub, redis::aio::MultiplexedConnection)> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    let connection = client.get_multiplexed_async_connection().await?;
    Ok((pubsub, connection))
}

/// Publishes what is queued and delivers what comes back, until the connection fails (the
/// reason) or the process stops (`None`).
async fn relay_while_up(
    pubsub: &mut redis::aio::PubSub,
    connection: &mut redis::aio::MultiplexedConnection,
    topics: &Topics,
    outgoing: &mut mpsc::Receiver<Relayed>,
) -> Option<String> {
    let mut incoming = pubsub.on_message();
    loop {
        tokio::select! {
            message = incoming.next() => match message {
                Some(message) => deliver(topics, message.get_payload_bytes()),
                None => return Some("the subscription ended".into()),
            },
            message = outgoing.recv() => {
                let message = message?;
                let payload = json!({
                    "plugin": &*message.plugin,
                    "topic": message.topic,
                    "id": message.id,
                    "data": message.data,
                })
                .to_string();
                let published = redis::cmd("PUBLISH")
                    .arg(CHANNEL)
                    .arg(payload)
                    .query_async::<i64>(connection)
                    .await;
                if let Err(error) = published {
                    deliver_locally(topics, message);
                    return Some(error.to_string());
                }
            }
        }
    }
}

/// A message that came back from Redis, into its topic on this server.
fn deliver(topics: &Topics, payload: &[u8]) {
    let Ok(message) = serde_json::from_slice::<serde_json::Value>(payload) else {
        tracing::warn!("ignored a message on Redis channel {CHANNEL} that is not gale's");
        return;
    };
    let text = |field: &str| message[field].as_str().map(str::to_owned);
    let (Some(plugin), Some(topic), Some(id), Some(data)) =
        (text("plugin"), text("topic"), text("id"), text("data"))
    else {
        tracing::warn!("ignored a message on Redis channel {CHANNEL} that is not gale's");
        return;
    };
    deliver_locally(
        topics,
        Relayed {
            plugin: plugin.into(),
            topic,
            id,
            data,
        },
    );
}

fn deliver_locally(topics: &Topics, message: Relayed) {
    let delivered = topics
        .topic(&message.plugin, &message.topic)
        .and_then(|topic| topic.publish(&message.id, &message.data));
    if let Err(error) = delivered {
        tracing::warn!(
            plugin = &*message.plugin,
            "a relayed message was refused: {error}"
        );
    }
}
