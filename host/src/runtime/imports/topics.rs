//! The `topics` interface: a plugin publishes to its own topics, reads their history, and
//! turns a response into an event stream of one.

use std::sync::Arc;
use std::time::Duration;

use super::HostResult;
use crate::runtime::bindings::gale::web::topics::{self, Published, TopicError as WitTopicError};
use crate::runtime::ctx::{Sandbox, Wait};
use crate::topics::{Topic, TopicError};

/// The longest a request may be parked.
const MAX_WAIT: Duration = Duration::from_secs(600);

/// What the `topics` interface sees of the store.
pub(super) struct TopicsView<'a> {
    pub(super) sandbox: &'a Sandbox,
    /// The topic the response is to stream, once asked.
    pub(super) event_stream: &'a mut Option<Arc<Topic>>,
    /// What the request is to wait for, once asked.
    pub(super) wait: &'a mut Option<Wait>,
}

impl TopicsView<'_> {
    /// The plugin's topic `name`.
    fn topic(&self, name: &str) -> Result<Arc<Topic>, WitTopicError> {
        Ok(self.sandbox.topics.topic(&self.sandbox.plugin, name)?)
    }
}

impl From<TopicError> for WitTopicError {
    fn from(error: TopicError) -> Self {
        let text = error.to_string();
        match error {
            TopicError::BadName(_) => Self::BadName(text),
            TopicError::TooLarge(..) => Self::TooLarge(text),
            TopicError::TooManyTopics => Self::TooManyTopics,
            TopicError::UnknownPlugin => Self::Unavailable,
        }
    }
}

impl topics::Host for TopicsView<'_> {
    fn publish(
        &mut self,
        topic: String,
        id: String,
        data: String,
    ) -> HostResult<(), WitTopicError> {
        let (topics, plugin) = (&self.sandbox.topics, &self.sandbox.plugin);
        let published = topics.publish(plugin, &topic, &id, data);
        if published.is_ok() {
            crate::metrics::record(|metrics| metrics.published(plugin));
        }
        Ok(published.map_err(Into::into))
    }

    fn history(
        &mut self,
        topic: String,
        cursor: Option<String>,
    ) -> HostResult<Vec<Published>, WitTopicError> {
        Ok(self.topic(&topic).map(|topic| {
            let messages = topic.since(cursor.as_deref()).into_iter();
            messages
                .map(|message| Published {
                    id: message.id.to_string(),
                    data: message.data.as_str().to_owned(),
                })
                .collect()
        }))
    }

    fn wait_for_messages(
        &mut self,
        topic: String,
        cursor: Option<String>,
        timeout_ms: u32,
    ) -> HostResult<(), WitTopicError> {
        Ok(self.topic(&topic).map(|topic| {
            let timeout = Duration::from_millis(timeout_ms.into()).min(MAX_WAIT);
            *self.wait = Some(Wait {
                topic,
                cursor,
                timeout,
            });
        }))
    }

    fn stream_events(&mut self, topic: String) -> HostResult<(), WitTopicError> {
        Ok(self
            .topic(&topic)
            .map(|topic| *self.event_stream = Some(topic)))
    }
}
