//! The c10k client: opens N keep-alive connections to one server, sends a request on each,
//! leaves them all idle for a pause, then sends a second request on each, and reports how
//! many were answered. Usage: `c10k ADDR PATH [CONNECTIONS] [PAUSE_SECONDS]` (defaults 10000
//! and 5). Prints one line: `opened=N first=N second=N failed=N seconds=S`.

use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};

/// Connections being opened at once: enough to be quick, few enough for the listen backlog.
const OPENING: usize = 256;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: c10k ADDR PATH [CONNECTIONS] [PAUSE_SECONDS]";
    let addr: SocketAddr = args
        .next()
        .and_then(|addr| addr.parse().ok())
        .ok_or_else(|| std::io::Error::other(usage))?;
    let path = args.next().ok_or_else(|| std::io::Error::other(usage))?;
    let connections: usize = args
        .next()
        .map_or(Ok(10_000), |n| n.parse())
        .map_err(std::io::Error::other)?;
    let pause: u64 = args
        .next()
        .map_or(Ok(5), |n| n.parse())
        .map_err(std::io::Error::other)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(
        &runtime,
        run(addr, path, connections, Duration::from_secs(pause)),
    )
}

async fn run(
    addr: SocketAddr,
    path: String,
    connections: usize,
    pause: Duration,
) -> std::io::Result<()> {
    let started = Instant::now();
    let request: Rc<[u8]> = format!("GET {path} HTTP/1.1\r\nHost: c10k\r\n\r\n")
        .into_bytes()
        .into();
    let opening = Rc::new(Semaphore::new(OPENING));
    // Everyone waits here after the first response, so all are idle together.
    let idle = Rc::new(Barrier::new(connections));
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (request, opening, idle) = (request.clone(), opening.clone(), idle.clone());
            tokio::task::spawn_local(async move {
                let mut outcome = [false; 3];
                let permit = opening.acquire().await.expect("never closed");
                let stream = TcpStream::connect(addr).await;
                drop(permit);
                let Ok(mut stream) = stream else {
                    idle.wait().await;
                    return outcome;
                };
                outcome[0] = true;
                outcome[1] = exchange(&mut stream, &request).await.is_ok();
                idle.wait().await;
                tokio::time::sleep(pause).await;
                outcome[2] = outcome[1] && exchange(&mut stream, &request).await.is_ok();
                outcome
            })
        })
        .collect();
    let mut counts = [0usize; 3];
    for task in tasks {
        let outcome = task.await.unwrap_or([false; 3]);
        for (count, ok) in counts.iter_mut().zip(outcome) {
            *count += ok as usize;
        }
    }
    println!(
        "opened={} first={} second={} failed={} seconds={:.1}",
        counts[0],
        counts[1],
        counts[2],
        connections - counts[2],
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One request and its response (a 200 with a `Content-Length` body) on a kept connection.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> std::io::Result<()> {
    stream.write_all(request).await?;
    let mut head = Vec::with_capacity(512);
    let mut byte = [0u8; 1024];
    let end = loop {
        let read = tokio::time::timeout(Duration::from_secs(60), stream.read(&mut byte))
            .await
            .map_err(std::io::Error::other)??;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.extend_from_slice(&byte[..read]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let text = String::from_utf8_lossy(&head[..end]).to_ascii_lowercase();
    if !text.starts_with("http/1.1 200") {
        return Err(std::io::Error::other("not a 200"));
    }
    let length: usize = text
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("no content-length"))?;
    let mut left = length.saturating_sub(head.len() - end);
    while left > 0 {
        let read = stream.read(&mut byte[..left.min(1024)]).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        left -= read;
    }
    Ok(())
}
