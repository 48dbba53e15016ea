//! Bare hyper answering `Hello, world` on one tokio `current_thread` loop: the yardstick the
//! benchmarks measure gale against. Usage: `baseline [ADDR] [BODY_FILE]` (default
//! 127.0.0.1:8001; the body is that file's bytes instead of `Hello, world`, the ceiling for a
//! page of that size).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8001".into());
    let body = match std::env::args().nth(2) {
        Some(file) => Bytes::from(std::fs::read(file)?),
        None => Bytes::from_static(b"Hello, world"),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("baseline: listening on http://{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_request| {
                    let body = body.clone();
                    async move {
                        let mut response = hyper::Response::new(Full::new(body));
                        response
                            .headers_mut()
                            .insert("content-type", "text/html; charset=UTF-8".parse().unwrap());
                        Ok::<_, Infallible>(response)
                    }
                });
                // A client that goes away mid-request is not the benchmark's concern.
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}
