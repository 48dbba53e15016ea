//! Handlers that wait on the upstream named in `u`, for bench/outbound.py: `/one` awaits one
//! fetch, `/fanout?n=N` awaits N at once. (`bench/waiting-py/app.py` is the same in Python.)

use gale_sdk::{
    AsyncHTTPClient, AsyncRequestHandler, PathArgs, Request, RequestHandler, Result, multi,
};

/// `/one?u=UPSTREAM&ms=MS`: the upstream's answer, after one fetch.
#[derive(Default)]
struct One;

impl RequestHandler for One {}

impl AsyncRequestHandler for One {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let url = format!(
            "{}/?ms={}",
            req.get_argument("u")?,
            req.get_argument_or("ms", "100")?
        );
        let answer = AsyncHTTPClient::new().fetch(url).await?;
        req.write(answer.body);
        Ok(())
    }
}

/// `/fanout?u=UPSTREAM&ms=MS&n=N`: N fetches at once, their answers joined.
#[derive(Default)]
struct Fanout;

impl RequestHandler for Fanout {}

impl AsyncRequestHandler for Fanout {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let url = format!(
            "{}/?ms={}",
            req.get_argument("u")?,
            req.get_argument_or("ms", "200")?
        );
        let n: usize = req.get_argument_or("n", "10")?.parse()?;
        let client = AsyncHTTPClient::new();
        for answer in multi((0..n).map(|_| client.fetch(url.as_str()))).await {
            req.write(answer?.body);
        }
        Ok(())
    }
}

gale_sdk::routes![(r"/one", async One), (r"/fanout", async Fanout)];
