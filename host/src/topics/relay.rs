//! Topics across servers (`--pubsub redis://HOST:PORT`, or `rediss://` over TLS): every
//! publish goes through one Redis channel and comes back to every server, the publisher's
//! own included, so each topic has one order on all of them; each server keeps its own
//! history from what comes back. Each message carries an HMAC under a key derived from the
//! cookie secret the servers share, so whoever else can publish to the channel cannot
//! forge one; a message for a plugin this server has not loaded is dropped. While Redis
//! cannot be reached, publishing is local (one log line), and shared again once it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tokio::sync::mpsc;

use super::{Budget, TopicError, Topics};

/// The channel every server publishes to and listens on.
const CHANNEL: &str = "gale:topics";
/// Publishes that may wait for the connection; beyond it they are delivered locally.
const QUEUE: usize = 4096;
/// Publishes one plugin may have waiting, so one busy plugin leaves room for the others.
const SHARE: usize = QUEUE / 4;
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
    sender: mpsc::Sender<(Relayed, Arc<Budget>)>,
    online: AtomicBool,
}

impl Relay {
    /// Hands `message` to Redis; gives it back when it cannot (offline, the queue full, or
    /// the plugin's share of it) so that it is delivered locally instead.
    pub(super) fn send(&self, message: Relayed, budget: &Arc<Budget>) -> Result<(), Relayed> {
        if !self.online.load(Ordering::Acquire)
            || budget.relaying.fetch_add(1, Ordering::AcqRel) >= SHARE
        {
            budget.relaying.fetch_sub(1, Ordering::AcqRel);
            return Err(message);
        }
        self.sender
            .try_send((message, budget.clone()))
            .map_err(|error| {
                let (message, budget) = match error {
                    mpsc::error::TrySendError::Full(queued) => queued,
                    mpsc::error::TrySendError::Closed(queued) => queued,
                };
                budget.relaying.fetch_sub(1, Ordering::AcqRel);
                message
            })
    }
}

/// `url` with its password, if any, replaced by `***`, for the log.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => format!("{scheme}://***@{host}"),
    }
}

/// Checks `url` and makes the relay, signing and checking messages with `key`; the returned
/// future connects, relays and reconnects for as long as the process runs (spawn it on a
/// loop).
pub fn start(
    url: &str,
    topics: Arc<Topics>,
    key: &[u8],
) -> anyhow::Result<impl Future<Output = ()> + use<>> {
    let shown = redact(url);
    let client = redis::Client::open(url)
        .map_err(|error| anyhow::anyhow!("--pubsub {shown:?} is not a Redis URL: {error}"))?;
    let (sender, receiver) = mpsc::channel(QUEUE);
    let relay = Arc::new(Relay {
        sender,
        online: AtomicBool::new(false),
    });
    topics.relay_through(relay.clone());
    let signer = Signer::new(key);
    Ok(run(client, shown, topics, relay, receiver, signer))
}

/// Signs and checks the messages on the channel.
#[derive(Clone)]
struct Signer(Hmac<Sha256>);

impl Signer {
    fn new(key: &[u8]) -> Self {
        Self(Hmac::new_from_slice(key).expect("HMAC takes a key of any length"))
    }

    /// `HEX_MAC BODY`: the body's MAC, a space, the body.
    fn sign(&self, body: &str) -> String {
        let mac = self.0.clone().chain_update(body).finalize().into_bytes();
        format!("{} {body}", crate::http::hex::encode(&mac))
    }

    /// The body of a signed payload, when its MAC is ours.
    fn open<'a>(&self, payload: &'a [u8]) -> Option<&'a [u8]> {
        let split = payload.iter().position(|byte| *byte == b' ')?;
        let (mac, body) = (&payload[..split], &payload[split + 1..]);
        let mac = crate::http::hex::decode(std::str::from_utf8(mac).ok()?, true)?;
        self.0.clone().chain_update(body).verify_slice(&mac).ok()?;
        Some(body)
    }
}

async fn run(
    client: redis::Client,
    url: String,
    topics: Arc<Topics>,
    relay: Arc<Relay>,
    mut outgoing: mpsc::Receiver<(Relayed, Arc<Budget>)>,
    signer: Signer,
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
                let mut link = Link {
                    topics: &topics,
                    signer: &signer,
                    connection: &mut connection,
                };
                let lost = link.relay_while_up(&mut pubsub, &mut outgoing).await;
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
        while let Ok((message, budget)) = outgoing.try_recv() {
            budget.relaying.fetch_sub(1, Ordering::AcqRel);
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

/// A live connection to Redis, and what a message needs on its way in or out.
struct Link<'a> {
    topics: &'a Topics,
    signer: &'a Signer,
    connection: &'a mut redis::aio::MultiplexedConnection,
}

impl Link<'_> {
    /// Publishes what is queued and delivers what comes back, until the connection fails
    /// (the reason) or the process stops (`None`).
    async fn relay_while_up(
        &mut self,
        pubsub: &mut redis::aio::PubSub,
        outgoing: &mut mpsc::Receiver<(Relayed, Arc<Budget>)>,
    ) -> Option<String> {
        let mut incoming = pubsub.on_message();
        loop {
            tokio::select! {
                message = incoming.next() => match message {
                    Some(message) => self.deliver(message.get_payload_bytes()),
                    None => return Some("the subscription ended".into()),
                },
                message = outgoing.recv() => {
                    let (message, budget) = message?;
                    budget.relaying.fetch_sub(1, Ordering::AcqRel);
                    if let Err(error) = self.publish(&message).await {
                        deliver_locally(self.topics, message);
                        return Some(error.to_string());
                    }
                }
            }
        }
    }

    async fn publish(&mut self, message: &Relayed) -> redis::RedisResult<()> {
        let body = json!({
            "plugin": &*message.plugin,
            "topic": message.topic,
            "id": message.id,
            "data": message.data,
        })
        .to_string();
        redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(self.signer.sign(&body))
            .query_async::<i64>(self.connection)
            .await
            .map(drop)
    }

    /// A message that came back from Redis, into its topic on this server, if a server
    /// that shares the key signed it.
    fn deliver(&self, payload: &[u8]) {
        let Some(body) = self.signer.open(payload) else {
            tracing::warn!(
                "ignored a message on Redis channel {CHANNEL} that no server of this \
                 deployment signed (do all servers share the cookie secret?)"
            );
            return;
        };
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(body) else {
            return;
        };
        let text = |field: &str| message[field].as_str().map(str::to_owned);
        if let (Some(plugin), Some(topic), Some(id), Some(data)) =
            (text("plugin"), text("topic"), text("id"), text("data"))
        {
            let message = Relayed {
                plugin: plugin.into(),
                topic,
                id,
                data,
            };
            deliver_locally(self.topics, message);
        }
    }
}

fn deliver_locally(topics: &Topics, message: Relayed) {
    let plugin = message.plugin.clone();
    match topics.deliver(message) {
        Ok(()) => {}
        // Another server may serve a plugin this one does not (yet): not an error here.
        Err(TopicError::UnknownPlugin) => {
            tracing::debug!(
                plugin = &*plugin,
                "a relayed message for a plugin not loaded here"
            )
        }
        Err(error) => tracing::warn!(plugin = &*plugin, "a relayed message was refused: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_logged_without_its_password() {
        assert_eq!(
            redact("redis://user:s3cret@h:6379/0"),
            "redis://user:***@h:6379/0"
        );
        assert_eq!(redact("rediss://:s3cret@h:6380"), "rediss://:***@h:6380");
        assert_eq!(redact("redis://h:6379"), "redis://h:6379");
    }

    #[test]
    fn one_plugin_has_at_most_its_share_of_the_queue_and_the_others_still_relay() {
        let (sender, _receiver) = mpsc::channel(QUEUE);
        let relay = Relay {
            sender,
            online: AtomicBool::new(true),
        };
        let limits = super::super::TopicLimits {
            max_message: 1024,
            plugin_memory: 1 << 20,
        };
        let (busy, quiet) = (Arc::new(Budget::new(limits)), Arc::new(Budget::new(limits)));
        let message = || Relayed {
            plugin: "p".into(),
            topic: "t".into(),
            id: "1".into(),
            data: String::new(),
        };
        for _ in 0..SHARE {
            assert!(relay.send(message(), &busy).is_ok());
        }
        assert!(
            relay.send(message(), &busy).is_err(),
            "past its share: delivered here"
        );
        assert!(
            relay.send(message(), &quiet).is_ok(),
            "another plugin's goes on"
        );
    }

    #[test]
    fn a_message_opens_only_under_the_key_it_was_signed_with() {
        let (ours, theirs) = (Signer::new(b"shared"), Signer::new(b"other"));
        let signed = ours.sign("{\"plugin\":\"chat\"}");
        assert_eq!(
            ours.open(signed.as_bytes()),
            Some(&b"{\"plugin\":\"chat\"}"[..])
        );
        assert_eq!(theirs.open(signed.as_bytes()), None);
        let forged = signed.replace("chat", "evil");
        assert_eq!(ours.open(forged.as_bytes()), None);
        assert_eq!(ours.open(b"{\"plugin\":\"chat\"}"), None);
    }
}
