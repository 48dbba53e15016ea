"""What the benchmarks share: release builds, starting `gale serve`, and running wrk."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
GALE = ROOT / "target/release/gale"


def build(*crates):
    """Builds the release host and `crates` (plugin crate paths); returns their directory."""
    if not shutil.which("wrk"):
        sys.exit(f"{pathlib.Path(sys.argv[0]).name} needs wrk: apt-get install wrk")
    subprocess.run(["cargo", "build", "--release", "-p", "gale-host"], cwd=ROOT, check=True)
    out = pathlib.Path(tempfile.mkdtemp(prefix="gale-bench-"))
    subprocess.run([str(GALE), "build", *crates, "--out", str(out)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return out


def start(plugins, *flags, log="off", binary=GALE):
    """`gale serve` (of `binary`) with `flags` (on a free port of 127.0.0.1 unless they say
    `--listen`), logging at `log` (`GALE_LOG`) to /dev/null; returns (process, address)."""
    listen = [] if "--listen" in flags else ["--listen", "127.0.0.1:0"]
    process = subprocess.Popen(
        [str(binary), "serve", "--plugins", str(plugins), *listen, *flags],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ, "GALE_LOG": log})
    line = process.stdout.readline().decode()
    return process, re.search(r"https?://([\d.:]+)", line).group(1)


def stop(process):
    process.terminate()
    process.wait()


def wrk(url, seconds, connections=32, script=None, headers=()):
    """One wrk run (each of `headers` sent with every request): req/s, requests, p50, p99,
    errors, and the `unexpected: N` a script reports."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    for header in headers:
        command[1:1] = ["-H", header]
    if script:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    percentile = lambda p: re.search(rf"^\s+{p}%\s+(\S+)", out, re.M).group(1)
    unexpected = re.search(r"unexpected: (\d+)", out)
    errors = re.findall(r"Non-2xx or 3xx responses: \d+|Socket errors: .*", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50": percentile(50), "p99": percentile(99),
        "unexpected": int(unexpected.group(1)) if unexpected else None,
        "errors": "; ".join(errors) or "none",
    }
