//! Coroutine handlers, as Tornado's `async def get`: a [`RequestHandler`] whose `prepare` and
//! methods may await fetches and timers. Route one with `async` before its type in
//! [`crate::routes!`].

use crate::{PathArgs, Request, RequestHandler, Result};

// A plugin has one thread: a handler's futures never cross threads, so they need no `Send`.
/// Tornado's coroutine methods: `prepare` and the HTTP methods as `async fn`. The handler's
/// other methods (`initialize`, `set_default_headers`, `write_error`, `on_finish`,
/// `on_connection_close`) are its [`RequestHandler`]'s, as in Tornado, where they are
/// plain methods; a method not written here is the [`RequestHandler`]'s (405 by default).
///
/// While a method awaits, the handler runs nothing and its request waits on the host, which
/// serves every other request meanwhile.
///
/// ```no_run,standalone_crate
/// use gale_sdk::*;
///
/// #[derive(Default)]
/// struct Weather;
///
/// impl RequestHandler for Weather {}
///
/// impl AsyncRequestHandler for Weather {
///     async fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
///         let client = AsyncHTTPClient::new();
///         let now = client.fetch(format!("https://api.example.com/now/{}", &args[0]));
///         let week = client.fetch(HTTPRequest::new("https://api.example.com/week").request_timeout(2.0));
///         let mut days = Vec::new();
///         for answer in multi([now, week]).await {
///             days.push(answer?.json()?);
///         }
///         req.write(json!({"now": days[0], "week": days[1]}));
///         Ok(())
///     }
/// }
///
/// gale_sdk::routes![(r"/weather/(.*)", async Weather)];
/// ```
#[allow(async_fn_in_trait)]
pub trait AsyncRequestHandler: RequestHandler {
    /// Runs before the method and may await; finishing the response here skips the method.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn prepare(&mut self, req: &mut Request) -> Result {
    ///     let check = AsyncHTTPClient::new().fetch("https://auth.example.com/check").await?;
    ///     if check.code != 200 {
    ///         return Err(HttpError::new(403));
    ///     }
    ///     Ok(())
    /// }
    /// # }
    /// ```
    async fn prepare(&mut self, req: &mut Request) -> Result {
        RequestHandler::prepare(self, req)
    }

    /// Answers GET.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     gale_sdk::sleep(1.0).await?;
    ///     req.write("a second later");
    ///     Ok(())
    /// }
    /// # }
    /// ```
    async fn get(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::get(self, req, args)
    }

    /// Answers HEAD.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn head(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     let upstream = AsyncHTTPClient::new().fetch("https://api.example.com/").await?;
    ///     req.set_header("X-Upstream", upstream.code)
    /// }
    /// # }
    /// ```
    async fn head(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::head(self, req, args)
    }

    /// Answers POST.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn post(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     let order = HTTPRequest::new("https://shop.example.com/orders").method("POST").body(req.body());
    ///     let placed = AsyncHTTPClient::new().fetch(order).await?;
    ///     req.set_status(placed.code)
    /// }
    /// # }
    /// ```
    async fn post(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::post(self, req, args)
    }

    /// Answers PUT.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn put(&mut self, req: &mut Request, args: PathArgs) -> Result {
    ///     let url = format!("https://store.example.com/items/{}", &args[0]);
    ///     AsyncHTTPClient::new().fetch(HTTPRequest::new(url).method("PUT").body(req.body())).await?;
    ///     req.set_status(204)
    /// }
    /// # }
    /// ```
    async fn put(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::put(self, req, args)
    }

    /// Answers DELETE.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn delete(&mut self, req: &mut Request, args: PathArgs) -> Result {
    ///     let url = format!("https://store.example.com/items/{}", &args[0]);
    ///     AsyncHTTPClient::new().fetch(HTTPRequest::new(url).method("DELETE")).await?;
    ///     req.set_status(204)
    /// }
    /// # }
    /// ```
    async fn delete(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::delete(self, req, args)
    }

    /// Answers PATCH.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn patch(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     let change = HTTPRequest::new("https://store.example.com/x").method("PATCH").body(req.body());
    ///     let changed = AsyncHTTPClient::new().fetch(change).await?;
    ///     req.write(changed.body);
    ///     Ok(())
    /// }
    /// # }
    /// ```
    async fn patch(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::patch(self, req, args)
    }

    /// Answers OPTIONS.
    ///
    /// ```no_run
    /// # use gale_sdk::*;
    /// # #[derive(Default)]
    /// # struct Handler;
    /// # impl RequestHandler for Handler {}
    /// # impl AsyncRequestHandler for Handler {
    /// async fn options(&mut self, req: &mut Request, _args: PathArgs) -> Result {
    ///     req.set_header("Allow", "GET, OPTIONS")?;
    ///     req.set_status(204)
    /// }
    /// # }
    /// ```
    async fn options(&mut self, req: &mut Request, args: PathArgs) -> Result {
        RequestHandler::options(self, req, args)
    }
}
