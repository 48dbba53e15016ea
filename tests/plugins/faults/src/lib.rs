//! Handlers that misbehave on purpose: each route is one way a handler can hurt a host that
//! does not contain it. Test-only; never shipped in `plugins/`.

use gale_sdk::{BaseHandler, HttpError, PathArgs, Request, RequestHandler, Result};

/// `/loop`: computes forever; only the time limit ends it.
#[derive(Default)]
struct Loop;

impl RequestHandler for Loop {
    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        gale_sdk::log::info("loop started");
        let mut counter = 0u64;
        loop {
            counter = std::hint::black_box(counter.wrapping_add(1));
        }
    }
}

/// `/memory`: allocates a mebibyte at a time until memory runs out.
#[derive(Default)]
struct MemoryBomb;

impl RequestHandler for MemoryBomb {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            if hoard.len() > 1 << 20 {
                req.write("a terabyte later");
                return Ok(());
            }
        }
    }
}

/// `/recursion`: recurses until the stack overflows.
#[derive(Default)]
struct Recursion;

// Unbounded on purpose: the stack overflow is the fault.
#[allow(unconditional_recursion)]
fn descend(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 16]);
    descend(depth + 1).wrapping_add(frame[depth as usize % 16])
}

impl RequestHandler for Recursion {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write(descend(0).to_string());
        Ok(())
    }
}

/// `/panic`: panics.
#[derive(Default)]
struct Panic;

impl RequestHandler for Panic {
    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        panic!("the faults plugin panics on purpose")
    }
}

/// `/count`: `STATIC,FIELD` after incrementing a static and a handler field: the static
/// counts the requests its instance has served (with `--reuse-instances`), the field is
/// always 1 (the handler object is new per request).
#[derive(Default)]
struct Count {
    seen: u32,
}

static SERVED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl RequestHandler for Count {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let served = SERVED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        self.seen += 1;
        req.write(format!("{served},{}", self.seen));
        Ok(())
    }
}

/// `/huge-write`: writes a mebibyte at a time and never flushes.
#[derive(Default)]
struct HugeWrite;

impl RequestHandler for HugeWrite {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let chunk = vec![b'x'; 1 << 20];
        loop {
            req.write(chunk.as_slice());
        }
    }
}

/// `/finish-trap`: answers, then traps in `on_finish`.
#[derive(Default)]
struct FinishTrap;

impl RequestHandler for FinishTrap {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        req.write("answered before on_finish trapped");
        Ok(())
    }

    fn on_finish(&mut self, _req: &mut Request) {
        panic!("on_finish traps on purpose")
    }
}

/// A base whose `write_error` traps.
struct TrappingErrorPage;

impl BaseHandler for TrappingErrorPage {
    fn write_error(&self, _req: &mut Request, _status: u16, _error: &HttpError) -> Result {
        panic!("write_error traps on purpose")
    }
}

/// `/error-trap`: fails with 418, and its `write_error` traps.
#[derive(Default)]
struct ErrorTrap;

impl RequestHandler for ErrorTrap {
    const BASE: &'static dyn BaseHandler = &TrappingErrorPage;

    fn get(&mut self, _req: &mut Request, _args: PathArgs) -> Result {
        Err(HttpError::new(418))
    }
}

/// `/chatter?lines=N`: prints N lines to stdout, which the host rate-limits.
#[derive(Default)]
struct Chatter;

impl RequestHandler for Chatter {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let lines: u32 = req.get_argument("lines")?.parse()?;
        for line in 0..lines {
            println!("chatter line {line}");
        }
        req.write(format!("printed {lines} lines"));
        Ok(())
    }
}

/// `/escape?port=N`: tries to reach outside the sandbox (a file, an environment variable, a process,
/// a TCP connection to 127.0.0.1:N) and reports what it got, one line each.
#[derive(Default)]
struct Escape;

impl RequestHandler for Escape {
    fn get(&mut self, req: &mut Request, _args: PathArgs) -> Result {
        let port: u16 = req.get_argument("port")?.parse()?;
        let outcome = |ok: bool| if ok { "reached" } else { "refused" };
        let file = std::fs::read("/etc/passwd").is_ok() || std::fs::read_dir("/").is_ok();
        let env = std::env::vars().next().is_some();
        let process = std::process::Command::new("/bin/true").status().is_ok();
        let network = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        req.write(format!(
            "file: {}\nenv: {}\nprocess: {}\nnetwork: {}\n",
            outcome(file),
            outcome(env),
            outcome(process),
            outcome(network)
        ));
        Ok(())
    }
}

gale_sdk::routes![
    (r"/loop", Loop),
    (r"/memory", MemoryBomb),
    (r"/recursion", Recursion),
    (r"/panic", Panic),
    (r"/count", Count),
    (r"/huge-write", HugeWrite),
    (r"/finish-trap", FinishTrap),
    (r"/error-trap", ErrorTrap),
    (r"/chatter", Chatter),
    (r"/escape", Escape),
];
