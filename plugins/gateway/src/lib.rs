//! Waiting on other services: `GET /gateway` fetches three of the tutorial's pages from this
//! same server, all at once, each within two seconds, and answers what each page said, as
//! JSON. A page that fails shows its error instead: one slow service does not fail the rest.
//!
//! The operator allows the fetches: `gale serve --allow-outbound gateway=self` (`gale dev`
//! allows `self` for the plugins it builds).

use gale_sdk::{
    AsyncHTTPClient, AsyncRequestHandler, HTTPRequest, PathArgs, Request, RequestHandler, Result,
    Value, json, multi,
};

/// The tutorial's pages the gateway combines.
const PAGES: [&str; 3] = ["/", "/time/2026/12/4", "/greet?name=gateway"];

/// Fetches the pages at once and combines them.
#[derive(Default)]
struct Gateway;

impl RequestHandler for Gateway {}

impl AsyncRequestHandler for Gateway {
    async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        // This server, as the client reached it.
        let here = format!("{}://{}", req.protocol(), req.host());
        let client = AsyncHTTPClient::new();
        let fetches = PAGES.map(|page| {
            client.fetch(HTTPRequest::new(format!("{here}{page}")).request_timeout(2.0))
        });
        let answers = multi(fetches).await;
        let mut combined = serde_map();
        for (page, answer) in PAGES.iter().zip(answers) {
            let shown = match answer {
                Ok(answer) => {
                    json!({"code": answer.code, "body": String::from_utf8_lossy(&answer.body)})
                }
                Err(error) => json!({"code": error.code, "error": error.to_string()}),
            };
            combined.insert((*page).to_owned(), shown);
        }
        req.write(Value::Object(combined));
        Ok(())
    }
}

/// An empty JSON object, its keys kept in order.
fn serde_map() -> gale_sdk::serde_json::Map<String, Value> {
    gale_sdk::serde_json::Map::new()
}

gale_sdk::routes![(r"/gateway", async Gateway)];
