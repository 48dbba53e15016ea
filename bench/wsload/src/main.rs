//! The WebSocket load client of `bench/websocket.py`, one loop, against gale's probe plugin
//! or `bench/tornado_ws.py` (the same protocol: a greeting on open, `N:text` echoes,
//! `sub:news` subscribes). Usage, each printing one `key=value` line:
//! - `wsload open ADDR N PAUSE`: N WebSockets, each echoes once, all idle PAUSE seconds.
//! - `wsload echo ADDR N SECONDS`: N WebSockets echo as fast as they can.
//! - `wsload broadcast ADDR[,ADDR...] N ROUNDS`: N subscribers, spread evenly over the
//!   servers listed (`--pubsub` shares their topics); per round one publish over HTTP to the
//!   first and the time until each receives it.
//! - `wsload poll ADDR N`: N parked long polls, one publish, how many are answered.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connections being opened at once, within the listen backlog.
const OPENING: usize = 256;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = || std::io::Error::other("usage: wsload open|echo|broadcast|poll ADDR N [ARG]");
    let (mode, addrs, n) = match &args[..] {
        [mode, addrs, n, ..] => (
            mode.clone(),
            addrs
                .split(',')
                .map(|addr| addr.parse().map_err(|_| usage()))
                .collect::<Result<Vec<SocketAddr>, _>>()?,
            n.parse().map_err(|_| usage())?,
        ),
        _ => return Err(usage()),
    };
    let addr = addrs[0];
    let arg: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(5);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let line = local.block_on(&runtime, async move {
        match mode.as_str() {
            "open" => open(addr, n, arg).await,
            "echo" => echo(addr, n, arg).await,
            "broadcast" => broadcast(&addrs, n, arg).await,
            "poll" => poll(addr, n).await,
            _ => Err(usage()),
        }
    })?;
    println!("{line}");
    Ok(())
}

/// A WebSocket to `/ws/echo`, its greeting read.
async fn connect(addr: SocketAddr) -> Option<Socket> {
    // Without TCP_NODELAY, "sub:news" then "ready" waits on the server's delayed ACK: the
    // subscribe step ran at ~50 a second and seemed to stall from ~2,000 subscribers.
    let url = format!("ws://{addr}/ws/echo");
    let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
        .await
        .ok()?;
    socket.next().await?.ok()?;
    Some(socket)
}

/// N WebSockets, opened `OPENING` at a time.
async fn connect_all(addr: SocketAddr, n: usize) -> Vec<Socket> {
    let opening = Rc::new(Semaphore::new(OPENING));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let opening = opening.clone();
            tokio::task::spawn_local(async move {
                let _permit = opening.acquire().await.ok()?;
                connect(addr).await
            })
        })
        .collect();
    let mut sockets = Vec::new();
    for task in tasks {
        if let Ok(Some(socket)) = task.await {
            sockets.push(socket);
        }
    }
    sockets
}

/// Sends `text` and waits for the next text message.
async fn ask(socket: &mut Socket, text: &str) -> Option<String> {
    socket.send(Message::text(text)).await.ok()?;
    loop {
        match socket.next().await?.ok()? {
            Message::Text(answer) => return Some(answer.to_string()),
            _ => continue,
        }
    }
}

async fn open(addr: SocketAddr, n: usize, pause: u64) -> std::io::Result<String> {
    let started = Instant::now();
    let mut sockets = connect_all(addr, n).await;
    let opened = sockets.len();
    let mut answered = 0;
    for socket in &mut sockets {
        answered += usize::from(ask(socket, "hi").await.is_some());
    }
    let seconds = started.elapsed().as_secs_f64();
    // The driver reads the server's memory now, while every socket is idle.
    println!("idle");
    tokio::time::sleep(Duration::from_secs(pause)).await;
    let mut again = 0;
    for socket in &mut sockets {
        again += usize::from(ask(socket, "again").await.is_some());
    }
    Ok(format!(
        "opened={opened} answered={answered} again={again} seconds={seconds:.2}"
    ))
}

async fn echo(addr: SocketAddr, n: usize, seconds: u64) -> std::io::Result<String> {
    let sockets = connect_all(addr, n).await;
    let until = Instant::now() + Duration::from_secs(seconds);
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|mut socket| {
            tokio::task::spawn_local(async move {
                let mut done = 0u64;
                while Instant::now() < until && ask(&mut socket, "x").await.is_some() {
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut messages = 0;
    for task in tasks {
        messages += task.await.unwrap_or(0);
    }
    Ok(format!(
        "messages={messages} rate={:.0}",
        messages as f64 / seconds as f64
    ))
}

/// `GET path` on a fresh connection; the response's bytes.
async fn get(addr: SocketAddr, path: &str) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.ok()?;
    Some(answer)
}

async fn broadcast(addrs: &[SocketAddr], n: usize, rounds: u64) -> std::io::Result<String> {
    let addr = addrs[0];
    let mut sockets = Vec::new();
    for (index, server) in addrs.iter().enumerate() {
        // An even share each, the first taking what does not divide.
        let share = n / addrs.len() + usize::from(index < n % addrs.len());
        sockets.extend(connect_all(*server, share).await);
    }
    for socket in &mut sockets {
        socket
            .send(Message::text("sub:news"))
            .await
            .map_err(std::io::Error::other)?;
        ask(socket, "ready")
            .await
            .ok_or_else(|| std::io::Error::other("no answer"))?;
    }
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    for mut socket in sockets {
        let sender = sender.clone();
        tokio::task::spawn_local(async move {
            while let Some(Ok(message)) = socket.next().await {
                if message.is_text() {
                    let _ = sender.send(Instant::now());
                }
            }
        });
    }
    let mut latencies = Vec::new();
    let mut lasts = Vec::new();
    for round in 0..rounds {
        let sent = Instant::now();
        get(
            addr,
            &format!("/topic/publish?topic=news&id=r{round}&data=item{round}"),
        )
        .await;
        let mut last = Duration::ZERO;
        for _ in 0..n {
            let Ok(Some(at)) = tokio::time::timeout(Duration::from_secs(30), received.recv()).await
            else {
                return Err(std::io::Error::other("a subscriber got nothing in 30 s"));
            };
            let latency = at - sent;
            latencies.push(latency);
            last = last.max(latency);
        }
        lasts.push(last);
    }
    latencies.sort();
    lasts.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e3;
    let last_p50 = lasts[lasts.len() / 2].as_secs_f64() * 1e3;
    Ok(format!(
        "subscribers={n} p50_ms={:.1} p99_ms={:.1} last_p50_ms={last_p50:.1}",
        at(0.5),
        at(0.99)
    ))
}

async fn poll(addr: SocketAddr, n: usize) -> std::io::Result<String> {
    let opening = Rc::new(Semaphore::new(OPENING));
    // Requests sent (or failed to be): the publish waits for all, however slowly a small
    // listen backlog lets them in.
    let sent = Rc::new(std::cell::Cell::new(0));
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (opening, sent) = (opening.clone(), sent.clone());
            tokio::task::spawn_local(async move {
                let mut stream = {
                    let _permit = opening.acquire().await.ok()?;
                    let _counted = Defer(|| sent.set(sent.get() + 1));
                    let mut stream = TcpStream::connect(addr).await.ok()?;
                    let request = "GET /topic/poll?topic=lp&timeout=120000 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                    stream.write_all(request.as_bytes()).await.ok()?;
                    stream
                };
                let mut answer = Vec::new();
                stream.read_to_end(&mut answer).await.ok()?;
                Some(answer.starts_with(b"HTTP/1.1 200") && answer.ends_with(b"m=lp\n"))
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while sent.get() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for the last requests to be read and parked.
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("idle");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent = Instant::now();
    get(addr, "/topic/publish?topic=lp&id=m&data=lp").await;
    let mut answered = 0;
    for task in tasks {
        answered += usize::from(task.await.ok().flatten().unwrap_or(false));
    }
    Ok(format!(
        "parked={n} answered={answered} seconds={:.2}",
        sent.elapsed().as_secs_f64()
    ))
}

/// Runs its closure when dropped: counts a task's step however the task leaves it.
struct Defer<F: FnMut()>(F);

impl<F: FnMut()> Drop for Defer<F> {
    fn drop(&mut self) {
        (self.0)()
    }
}
