//! Long polling: a request the handler parked on a topic (`wait_for_messages`), held by the
//! host with no instance until the topic has something after the client's cursor, the time
//! limit passes, or the client leaves, as Tornado's chat demo parks `MessageUpdatesHandler`
//! on its buffer's condition.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::bindings::gale::web::topics::Published as WitPublished;
use super::ctx::{Ctx, Wait};
use crate::http::body::ResponseBody;
use crate::http::request::RequestData;
use crate::http::response::ResponseState;
use crate::topics::Published;

/// A parked request: what it waits for, and what the woken handler continues.
pub struct ParkedRequest {
    /// What it waits for.
    pub wait: Wait,
    /// The request.
    pub request: Arc<RequestData>,
    /// The response as the handler left it.
    pub response: ResponseState,
    /// Where the response goes.
    pub head: oneshot::Sender<hyper::Response<ResponseBody>>,
}

impl ParkedRequest {
    /// The request its handler has just parked (`wait_for_messages`), with the response as
    /// it left it; none when the handler failed (its error page has been sent).
    pub fn take(ctx: &mut Ctx) -> Option<Self> {
        let wait = ctx.memo.wait.take()?;
        let head = ctx.delivery.head.take()?;
        Some(Self {
            wait,
            head,
            request: std::mem::replace(&mut ctx.request, RequestData::placeholder()),
            response: std::mem::take(&mut ctx.response),
        })
    }

    /// The messages to wake the handler with: those after the cursor, at once when there
    /// are some, else at the next publish; none at the time limit or when the worker stops.
    /// `None` when the client has gone (hyper dropped the request), and nothing is left to
    /// do.
    pub async fn until_woken(
        &mut self,
        mut stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Option<Vec<WitPublished>> {
        let _held = crate::metrics::hold(crate::metrics::Hold::ParkedPoll);
        let cursor = self.wait.cursor.as_deref();
        let mut subscription = self.wait.topic.subscribe(cursor);
        tokio::select! {
            // A message after the cursor (at once when the history has one), or a cursor the
            // history has let go of: either way, what the history holds after it.
            _ = subscription.next() => Some(for_plugin(self.wait.topic.since(cursor))),
            _ = tokio::time::sleep(self.wait.timeout) => Some(Vec::new()),
            // A stopping worker answers it as at its time limit.
            _ = stopping.wait_for(|stop| *stop) => Some(Vec::new()),
            _ = self.head.closed() => None,
        }
    }

    /// Answers the request with the response as its handler left it, finished.
    pub fn answer_as_it_stands(mut self) {
        let _ = self.response.finish();
        let if_none_match = self.request.headers.get(hyper::header::IF_NONE_MATCH);
        let response = self.response.take_for_sending();
        let _ = self
            .head
            .send(response.into_response(&self.request.method, if_none_match));
    }
}

/// Messages as the WIT hands them to the plugin.
fn for_plugin(messages: Vec<Arc<Published>>) -> Vec<WitPublished> {
    messages
        .iter()
        .map(|message| WitPublished {
            id: message.id.to_string(),
            data: message.data.as_str().to_owned(),
        })
        .collect()
}
