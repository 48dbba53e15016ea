//! Attacks through waiting: fetches of whatever URL a test names (a denied origin, a name
//! that resolves to a private or metadata address, a redirect to one), fetches and timers
//! without end, a handler that sleeps past its wall time or whose client leaves.

use std::pin::Pin;
use std::task::Poll;

use gale_sdk::{
    AsyncHTTPClient, AsyncRequestHandler, PathArgs, Request, RequestHandler, Result, json, multi,
    sleep,
};

/// `/waits/fetch?url=URL`: the answer's code and the start of its body (and its length),
/// or the error's code and message.
#[derive(Default)]
pub struct FetchAny;

impl RequestHandler for FetchAny {}

impl AsyncRequestHandler for FetchAny {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let url = req.get_argument("url")?;
        match AsyncHTTPClient::new().fetch(url).await {
            Ok(answer) => {
                let start = String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)]);
                req.write(json!({"code": answer.code, "body": start, "length": answer.body.len()}));
            }
            Err(error) => req.write(json!({"code": error.code, "error": error.message})),
        }
        Ok(())
    }
}

/// Polls `future` once: settled at once (a refused fetch or timer is), or still running.
async fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    std::future::poll_fn(|cx| Poll::Ready(Pin::new(&mut *future).poll(cx))).await
}

/// `/waits/many?url=URL&n=N`: tries to start N fetches of URL; whenever the host refuses one
/// more at once, awaits those in flight and goes on, until it refuses any more at all.
#[derive(Default)]
pub struct ManyFetches;

impl RequestHandler for ManyFetches {}

impl AsyncRequestHandler for ManyFetches {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let url = req.get_argument("url")?;
        let n: u32 = req.get_argument("n")?.parse()?;
        let client = AsyncHTTPClient::new();
        let (mut started, mut answered, mut refusals) = (0, 0, Vec::<String>::new());
        let mut in_flight = Vec::new();
        for _ in 0..n {
            let mut fetch = client.fetch(url.as_str());
            match poll_once(&mut fetch).await {
                Poll::Pending => {
                    started += 1;
                    in_flight.push(fetch);
                }
                Poll::Ready(done) => {
                    let refused = done.err().map(|error| error.message).unwrap_or_default();
                    if !refusals.contains(&refused) {
                        refusals.push(refused.clone());
                    }
                    if !refused.contains("at once") {
                        break;
                    }
                    let flight = std::mem::take(&mut in_flight);
                    answered += multi(flight).await.iter().filter(|a| a.is_ok()).count();
                }
            }
        }
        answered += multi(in_flight).await.iter().filter(|a| a.is_ok()).count();
        req.write(json!({"started": started, "answered": answered, "refusals": refusals}));
        Ok(())
    }
}

/// `/waits/timers?n=N`: starts N ten-second timers at once and counts those the host took
/// (then drops them all: they stop).
#[derive(Default)]
pub struct ManyTimers;

impl RequestHandler for ManyTimers {}

impl AsyncRequestHandler for ManyTimers {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let n: u32 = req.get_argument("n")?.parse()?;
        let mut timers: Vec<_> = (0..n).map(|_| sleep(10.0)).collect();
        let (mut refused, mut why) = (0, String::new());
        for timer in &mut timers {
            if let Poll::Ready(Err(error)) = poll_once(timer).await {
                refused += 1;
                why = error.message;
            }
        }
        req.write(json!({"accepted": n - refused, "refused": refused, "why": why}));
        Ok(())
    }
}

/// This build's version, which a test patches to make a second version of the plugin.
const VERSION: &str = "waits-version:original";

/// `/waits/sleep?s=SECONDS&say=TEXT`: answers TEXT and the plugin's version after sleeping;
/// a client that leaves first is logged by `on_connection_close`.
#[derive(Default)]
pub struct Sleeper;

impl RequestHandler for Sleeper {
    fn on_connection_close(&mut self, req: &mut Request) {
        gale_sdk::log::info(&format!("on_connection_close: {} left", req.uri()));
    }
}

impl AsyncRequestHandler for Sleeper {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let seconds: f64 = req.get_argument("s")?.parse()?;
        let say = req.get_argument_or("say", "slept")?;
        sleep(seconds).await?;
        req.write(format!("{say} {VERSION}"));
        Ok(())
    }
}

/// `/waits/cases?u=UPSTREAM`: Tornado's client and `gen` cases, as the Python SDK's test app
/// has them: an answer outside 2xx raised and kept, a timeout, a `with_timeout` that passes.
#[derive(Default)]
pub struct Cases;

impl RequestHandler for Cases {}

impl AsyncRequestHandler for Cases {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let upstream = req.get_argument("u")?;
        let client = AsyncHTTPClient::new();
        let raised = client.fetch(format!("{upstream}/status/404")).await.err();
        let kept = client
            .fetch(format!("{upstream}/status/503"))
            .raise_error(false)
            .await?;
        let slow =
            gale_sdk::HTTPRequest::new(format!("{upstream}/slow?ms=3000")).request_timeout(0.3);
        let timed_out = client.fetch(slow).await.err();
        let late = gale_sdk::with_timeout(0.05, sleep(5.0)).await;
        req.write(json!({
            "raised": raised.map(|error| (error.code, error.to_string(), error.response.map(|r| r.body.len()))),
            "kept": kept.code,
            "timed_out": timed_out.map(|error| (error.code, error.is_timeout(), error.message)),
            "with_timeout": late.err().map(|error| error.to_string()),
        }));
        Ok(())
    }
}
