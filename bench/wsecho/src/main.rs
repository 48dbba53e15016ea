//! A bare WebSocket echo on one tokio `current_thread` loop, over hyper's upgrade as gale
//! serves them, with either RFC 6455 crate: how tokio-tungstenite (gale's choice) and
//! fastwebsockets compare without gale around them. Each connection is greeted with `{}`
//! and then has every message echoed, as the probe's `/ws/echo` does for `wsload echo`.
//! Usage: `wsecho tungstenite|fastwebsockets [ADDR]` (default 127.0.0.1:8002).

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let crate_name = args.next().unwrap_or_default();
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:8002".into());
    let fast = match crate_name.as_str() {
        "tungstenite" => false,
        "fastwebsockets" => true,
        _ => {
            return Err(std::io::Error::other(
                "usage: wsecho tungstenite|fastwebsockets [ADDR]",
            ));
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!(
            "wsecho {crate_name}: listening on http://{}",
            listener.local_addr()?
        );
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = service_fn(move |request| async move {
                    Ok::<_, Infallible>(match fast {
                        true => fastwebsockets_upgrade(request),
                        false => tungstenite_upgrade(request),
                    })
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    })
}

/// The 101 for tokio-tungstenite, configured as gale's connections are.
fn tungstenite_upgrade(mut request: Request<Incoming>) -> Response<Empty<Bytes>> {
    let Some(key) = request.headers().get("sec-websocket-key") else {
        return status(StatusCode::BAD_REQUEST);
    };
    let accept = derive_accept_key(key.as_bytes());
    let upgrade = hyper::upgrade::on(&mut request);
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let io = TokioIo::new(upgraded);
        let mut socket = WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await;
        if socket.send(Message::text("{}")).await.is_err() {
            return;
        }
        while let Some(Ok(message)) = socket.next().await {
            if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
                return;
            }
        }
    });
    let mut response = status(StatusCode::SWITCHING_PROTOCOLS);
    let headers = response.headers_mut();
    headers.insert("upgrade", "websocket".parse().unwrap());
    headers.insert("connection", "Upgrade".parse().unwrap());
    headers.insert("sec-websocket-accept", accept.parse().unwrap());
    response
}

/// The 101 for fastwebsockets, its messages reassembled as tungstenite's are.
fn fastwebsockets_upgrade(mut request: Request<Incoming>) -> Response<Empty<Bytes>> {
    let Ok((response, upgrade)) = fastwebsockets::upgrade::upgrade(&mut request) else {
        return status(StatusCode::BAD_REQUEST);
    };
    tokio::spawn(async move {
        let Ok(socket) = upgrade.await else { return };
        let mut socket = fastwebsockets::FragmentCollector::new(socket);
        let greeting = fastwebsockets::Frame::text(fastwebsockets::Payload::Borrowed(b"{}"));
        if socket.write_frame(greeting).await.is_err() {
            return;
        }
        use fastwebsockets::OpCode;
        while let Ok(frame) = socket.read_frame().await {
            let echoed = matches!(frame.opcode, OpCode::Text | OpCode::Binary);
            if frame.opcode == OpCode::Close || (echoed && socket.write_frame(frame).await.is_err())
            {
                return;
            }
        }
    });
    response
}

/// An empty response with `code`.
fn status(code: StatusCode) -> Response<Empty<Bytes>> {
    let mut response = Response::new(Empty::new());
    *response.status_mut() = code;
    response
}
