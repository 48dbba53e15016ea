//! The `topics` interface: a plugin publishes to its own topics, reads their history, and
//! turns a response into an event stream of one.

use std::sync::Arc;
use std::time::Duration;

use wasmtime::Result;

use crate::runtime::bindings::gale::web::topics::{self, Published};
use crate::runtime::ctx::{Sandbox, Wait};
use crate::topics::{Topic, TopicError};

/// The longest a request may be parked.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// What the `topics` interface sees of the store.
pub(super) struct Board<'a> {
    pub(super) sandbox: &'a Sandbox,
    /// The topic the response is to stream, once asked.
    pub(super) event_stream: &'a mut Option<Arc<Topic>>,
    /// What the request is to wait for, once asked.
    pub(super) wait: &'a mut Option<Wait>,
}

impl Board<'_> {
    /// The plugin's topic `name`.
    fn topic(&self, name: &str) -> std::result::Result<Arc<Topic>, TopicError> {
        self.sandbox.topics.topic(&self.sandbox.plugin, name)
    }
}

impl topics::Host for Board<'_> {
    fn publish(
        &mut self,
        topic: String,
        id: String,
        data: String,
    ) -> Result<std::result::Result<(), String>> {
        let (topics, plugin) = (&self.sandbox.topics, &self.sandbox.plugin);
        let published = topics.publish(plugin, &topic, &id, data);
        if published.is_ok() {
            crate::metrics::record(|metrics| metrics.published(&self.sandbox.plugin));
        }
        Ok(published.map_err(|error| error.to_string()))
    }

    fn history(
        &mut self,
        topic: String,
        cursor: Option<String>,
    ) -> Result<std::result::Result<Vec<Published>, String>> {
        let topic = match self.topic(&topic) {
            Ok(topic) => topic,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let messages = topic.since(cursor.as_deref()).into_iter();
        Ok(Ok(messages
            .map(|message| Published {
                id: message.id.to_string(),
                data: message.data.to_string(),
            })
            .collect()))
    }

    fn wait_for_messages(
        &mut self,
        topic: String,
        cursor: Option<String>,
        timeout_ms: u32,
    ) -> Result<std::result::Result<(), String>> {
        let topic = match self.topic(&topic) {
            Ok(topic) => topic,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let timeout = Duration::from_millis(timeout_ms.into()).min(MAX_WAIT);
        *self.wait = Some(Wait {
            topic,
            cursor,
            timeout,
        });
        Ok(Ok(()))
    }

    fn stream_events(&mut self, topic: String) -> Result<std::result::Result<(), String>> {
        match self.topic(&topic) {
            Ok(topic) => {
                *self.event_stream = Some(topic);
                Ok(Ok(()))
            }
            Err(error) => Ok(Err(error.to_string())),
        }
    }
}
