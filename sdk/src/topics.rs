//! Topics, which the host owns: any handler publishes (`req.publish`), reads a topic's
//! history from a cursor (`req.topic_history`), or answers with an event stream of one
//! (`req.stream_events`); a [`crate::WebSocket`] subscribes. Each plugin's topics are its
//! own, and each keeps its last 200 messages.

use crate::bindings::gale::web::topics as host;
///
/// ```no_run
/// # use gale_sdk::*;
/// # fn handler(req: &mut Request) -> Result {
/// for message in req.topic_history("news", None)? {
///     req.write(format!("{}: {}\n", message.id, message.data));
/// }
/// # Ok(())
/// # }
/// ```
pub use crate::bindings::gale::web::topics::Published;
use crate::{Request, Result};

impl Request {
    /// Publishes `data` under `id` (the cursor clients resume from) to `topic`: every
    /// WebSocket subscribed to it and every event stream of it gets it, without any handler
    /// being woken, and it joins the topic's history.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let text = req.get_argument("text")?;
    /// let id = format!("{}-{}", req.remote_ip(), text.len());
    /// req.publish("news", &id, &text)?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn publish(&mut self, topic: &str, id: &str, data: &str) -> Result {
        host::publish(topic, id, data).map_err(crate::refused::refused)
    }

    /// The messages of `topic` after the one `cursor` names, oldest first: all of its
    /// history without a cursor, or when the cursor is no longer in it.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// let since = req.get_argument_or("cursor", "")?;
    /// let missed = req.topic_history("news", Some(&since))?;
    /// req.write(json!({"missed": missed.len()}));
    /// # Ok(())
    /// # }
    /// ```
    pub fn topic_history(&self, topic: &str, cursor: Option<&str>) -> Result<Vec<Published>> {
        host::history(topic, cursor).map_err(crate::refused::refused)
    }

    /// Answers the request, once the handler returns, as a `text/event-stream` of `topic`
    /// that the host holds: the history after the client's `Last-Event-ID` (all of it
    /// without one), then each message as it is published.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// req.stream_events("news")?; // `new EventSource("/news/events")` in the page
    /// # Ok(())
    /// # }
    /// ```
    pub fn stream_events(&mut self, topic: &str) -> Result {
        host::stream_events(topic).map_err(crate::refused::refused)
    }

    /// Long polling, as Tornado's chat `MessageUpdatesHandler` awaits its buffer: once the
    /// handler returns, the host holds the request, with no instance, until `topic` has
    /// messages after `cursor` (at once if it has them) or `timeout` passes; then the
    /// handler's [`crate::RequestHandler::on_messages`] writes the answer.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # fn handler(req: &mut Request) -> Result {
    /// // the answer is written by on_messages, in a fresh handler
    /// let cursor = req.get_argument_or("cursor", "")?;
    /// req.wait_for_messages("news", Some(&cursor), std::time::Duration::from_secs(30))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn wait_for_messages(
        &mut self,
        topic: &str,
        cursor: Option<&str>,
        timeout: std::time::Duration,
    ) -> Result {
        let millis = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        host::wait_for_messages(topic, cursor, millis).map_err(crate::refused::refused)?;
        crate::runtime::note_parked();
        Ok(())
    }
}
