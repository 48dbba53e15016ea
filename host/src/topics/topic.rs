//! One topic: its bounded history, and subscribers that read from that history by sequence
//! number. Nothing is kept per subscriber: a message lives in the history until the
//! history's bounds (or its plugin's budget) push it out, and a subscriber that has not
//! read it by then has fallen behind ([`Lagged`]), as Tornado's chat demo forgets what its
//! `cache_size` cannot hold.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::{Budget, HISTORY, HISTORY_BYTES, TopicError};

/// What a message costs beyond its id and data: its `Arc`, its place in the history.
const OVERHEAD: usize = 64;

/// A published message: the publisher's id (the cursor clients resume from) and its data,
/// shared (never copied) by every subscriber it is sent to.
#[derive(Debug, PartialEq, Eq)]
pub struct Published {
    /// Its id.
    pub id: Arc<str>,
    /// Its data, as sent to WebSockets and event streams.
    pub data: Utf8Bytes,
    /// Its place in the topic: one more than the message before it.
    seq: u64,
}

impl Published {
    /// The bytes it holds, as the history and its plugin's budget count them.
    pub fn size(&self) -> usize {
        self.id.len() + self.data.len() + OVERHEAD
    }
}

/// A subscriber fell so far behind that the history no longer holds the next message it
/// should read: a slow consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lagged;

/// One topic: its history and the signal its subscribers wait on.
pub struct Topic {
    history: Mutex<History>,
    /// The sequence number the next message will take; subscribers wait for it to change.
    published: watch::Sender<u64>,
    /// What the topic's plugin may hold.
    pub(super) budget: Arc<Budget>,
    /// When it was last published to, on its plugin's clock ([`Budget::tick`]): the idlest
    /// topics give up their history first.
    last_used: AtomicU64,
}

/// The last messages, oldest first, within [`HISTORY`] and [`HISTORY_BYTES`].
#[derive(Default)]
struct History {
    messages: VecDeque<Arc<Published>>,
    bytes: usize,
    next_seq: u64,
}

impl History {
    /// Where the message after the one `cursor` names sits: at the start without a cursor,
    /// or when it is no longer (or never was) in the history, as Tornado's
    /// `get_messages_since`.
    fn after(&self, cursor: Option<&str>) -> usize {
        cursor
            .and_then(|cursor| self.messages.iter().rposition(|m| &*m.id == cursor))
            .map_or(0, |at| at + 1)
    }

    /// The sequence number of the oldest message kept (the next one when empty).
    fn first_seq(&self) -> u64 {
        self.messages
            .front()
            .map_or(self.next_seq, |first| first.seq)
    }

    /// Drops the oldest message; its bytes, to give back to the budget.
    fn shed(&mut self) -> Option<usize> {
        let old = self.messages.pop_front()?;
        self.bytes -= old.size();
        Some(old.size())
    }
}

impl Topic {
    /// An empty topic of a plugin with `budget`.
    pub(super) fn new(budget: Arc<Budget>) -> Self {
        Self {
            history: Mutex::default(),
            published: watch::channel(0).0,
            last_used: AtomicU64::new(budget.tick()),
            budget,
        }
    }

    fn history(&self) -> MutexGuard<'_, History> {
        self.history.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes `data` under `id`: into the history (the oldest messages going once it is
    /// past its bounds), then a signal to every subscriber. One lock orders the publishes of
    /// every worker. Returns whether its plugin is now past its budget.
    pub(super) fn publish(&self, id: &str, data: Utf8Bytes) -> Result<bool, TopicError> {
        self.budget.check(id, &data)?;
        let mut history = self.history();
        let message = Arc::new(Published {
            id: id.into(),
            data,
            seq: history.next_seq,
        });
        history.next_seq += 1;
        history.bytes += message.size();
        self.budget.take(message.size());
        history.messages.push_back(message);
        while history.messages.len() > HISTORY || history.bytes > HISTORY_BYTES {
            if let Some(freed) = history.shed() {
                self.budget.give(freed);
            }
        }
        self.published.send_replace(history.next_seq);
        self.last_used.store(self.budget.tick(), Ordering::Relaxed);
        Ok(self.budget.over())
    }

    /// Gives up its oldest message to the plugin's budget, keeping at least `keep`;
    /// whether it gave one.
    pub(super) fn shed_oldest(&self, keep: usize) -> bool {
        let mut history = self.history();
        if history.messages.len() <= keep {
            return false;
        }
        let freed = history.shed();
        freed.inspect(|freed| self.budget.give(*freed)).is_some()
    }

    /// Forgets the whole history (its plugin is gone, or the topic made way for another).
    pub(super) fn clear(&self) {
        while self.shed_oldest(0) {}
    }

    /// When it was last published to (see [`Budget::tick`]).
    pub(super) fn last_used(&self) -> u64 {
        self.last_used.load(Ordering::Relaxed)
    }

    /// Whether anything is subscribed to it (a WebSocket, an event stream, a parked poll).
    pub(super) fn has_subscribers(&self) -> bool {
        self.published.receiver_count() > 0
    }

    /// The history after `cursor` (all of it without one, or when the cursor is gone).
    pub fn since(&self, cursor: Option<&str>) -> Vec<Arc<Published>> {
        let history = self.history();
        let start = history.after(cursor);
        history.messages.iter().skip(start).cloned().collect()
    }

    /// A subscription that reads every message published from now on.
    pub fn subscribe_from_now(self: &Arc<Self>) -> Subscription {
        let next = self.history().next_seq;
        self.subscription(next)
    }

    /// A subscription that reads the history after `cursor` (see [`Topic::since`]), then
    /// every message published after it: nothing is missed or seen twice between the two.
    pub fn subscribe(self: &Arc<Self>, cursor: Option<&str>) -> Subscription {
        let next = {
            let history = self.history();
            history.first_seq() + history.after(cursor) as u64
        };
        self.subscription(next)
    }

    fn subscription(self: &Arc<Self>, next: u64) -> Subscription {
        Subscription {
            topic: self.clone(),
            next,
            published: self.published.subscribe(),
        }
    }
}

/// A place in a topic: the next message to read, read from the history when it comes.
pub struct Subscription {
    topic: Arc<Topic>,
    next: u64,
    published: watch::Receiver<u64>,
}

impl Subscription {
    /// The next message, waiting for it when none is new; [`Lagged`] when the history has
    /// already let it go.
    pub async fn next(&mut self) -> Result<Arc<Published>, Lagged> {
        loop {
            if let Some(message) = self.ready()? {
                return Ok(message);
            }
            if self.published.changed().await.is_err() {
                // The topic outlives its subscribers; it cannot be gone.
                return std::future::pending().await;
            }
        }
    }

    /// The next message when it has been published already.
    pub fn ready(&mut self) -> Result<Option<Arc<Published>>, Lagged> {
        let history = self.topic.history();
        if self.next >= history.next_seq {
            self.published.mark_unchanged();
            return Ok(None);
        }
        let first = history.first_seq();
        if self.next < first {
            return Err(Lagged);
        }
        let message = history.messages[(self.next - first) as usize].clone();
        self.next += 1;
        Ok(Some(message))
    }

    /// The topic.
    pub fn topic(&self) -> &Arc<Topic> {
        &self.topic
    }
}
