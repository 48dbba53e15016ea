//! Micro-benchmarks of the request's hot path on the host: routing, argument and cookie
//! parsing, signed values, and a fresh instance of the hello plugin (built once, into the
//! tests' directory). Run with `cargo bench -p gale-host --bench hot_path`.

use std::path::PathBuf;
use std::sync::Arc;

use gale_host::__private::Redirect;
use gale_host::__private::RequestData;
use gale_host::__private::args::Arguments;
use gale_host::__private::cookies::parse_cookie;
use gale_host::__private::signed;
use gale_host::__private::{Pattern, Route, RouteTable, Target};
use gale_host::__private::{Runtime, ServeOptions};
use gale_host::__private::{build, loader};

fn main() {
    divan::main();
}

/// The tutorial's patterns, each a redirect (routing does not look at the target).
fn tutorial_table() -> RouteTable {
    let patterns = [
        r"/",
        r"/time/(\d+)/(\d+)/(\d+)",
        r"/date/(?P<month>\d+)/(?P<year>\d+)/(?P<day>\d+)",
        r"/greet",
        r"/args",
        r"/upload",
        r"/request",
        r"/redirect/custom",
        r"/redirect/temporary",
        r"/redirect/permanent",
        r"/hello",
        r"/lifecycle",
        r"/boom",
        r"/reverse",
        r"/cookie/set",
        r"/cookie/get",
        r"/cookie/signed/set",
        r"/cookie/signed/get",
        r"/big",
    ];
    let redirect = Redirect::from_init_args(&serde_json::json!({"url": "/"})).unwrap();
    RouteTable::new(
        patterns
            .iter()
            .map(|pattern| Route {
                pattern: Pattern::new(pattern).unwrap(),
                target: Target::Redirect(redirect.clone()),
                name: None,
            })
            .collect(),
    )
}

#[divan::bench]
fn route_time_with_captures(bencher: divan::Bencher) {
    let table = tutorial_table();
    bencher.bench(|| table.find(divan::black_box("/time/2026/11/27")).is_some());
}

#[divan::bench]
fn route_a_miss(bencher: divan::Bencher) {
    let table = tutorial_table();
    bencher.bench(|| table.find(divan::black_box("/nowhere/at/all")).is_none());
}

#[divan::bench]
fn parse_a_query_string() -> Arguments {
    Arguments::parse(divan::black_box(
        b"name=Ada+Lovelace&lang=en&tag=a&tag=b&q=%E2%82%AC%20rates",
    ))
}

/// A form body of `names` distinct names (`a0&a1&…`), the shape of the attack that froze
/// the server when every new name was looked up among the others: the time per name must
/// stay the same from ten thousand names to a million.
#[divan::bench(args = [10_000, 100_000, 1_000_000], sample_count = 10)]
fn parse_a_body_of_distinct_names(bencher: divan::Bencher, names: usize) {
    let body: Vec<String> = (0..names).map(|at| format!("a{at}")).collect();
    let body = body.join("&");
    bencher
        .counter(divan::counter::ItemsCount::new(names))
        .bench(|| Arguments::parse(divan::black_box(body.as_bytes())));
}

/// A `Cookie` header of `names` distinct cookies (64 KiB, the header limit, holds about
/// 10,000): linear as the form body.
#[divan::bench(args = [1_000, 10_000], sample_count = 20)]
fn parse_a_cookie_header_of_distinct_names(bencher: divan::Bencher, names: usize) {
    let header: Vec<String> = (0..names).map(|at| format!("c{at}=1")).collect();
    let header = header.join("; ");
    bencher
        .counter(divan::counter::ItemsCount::new(names))
        .bench(|| parse_cookie(divan::black_box(&header)));
}

#[divan::bench]
fn parse_a_cookie_header() -> Vec<(String, String)> {
    parse_cookie(divan::black_box(
        r#"_xsrf=2|ab12cd34|0011|1700000000; sessionid=0123456789abcdef; signed="2|1:0|10:1700000000|6:signed|8:dmFsdWU=|ab""#,
    ))
}

#[divan::bench]
fn check_a_signed_value(bencher: divan::Bencher) {
    let value = signed::create(b"secret", "session", b"0123456789abcdef", 1_700_000_000);
    bencher.bench(|| {
        signed::decode(
            b"secret",
            "session",
            divan::black_box(&value),
            31.0,
            1_700_000_100,
        )
    });
}

/// A fresh instance of the hello plugin from its pre-linked `InstancePre`, dropped at once:
/// what every request pays before its handler runs.
#[divan::bench(sample_count = 200)]
fn instantiate_hello(bencher: divan::Bencher) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("target/gale/bench-plugins");
    let built = build::build_plugins(
        &[root.join("plugins/hello")],
        &root.join(build::WASM_TARGET_DIR),
        &out,
    )
    .expect("building the hello plugin");
    let runtime = Runtime::new(ServeOptions::defaults().handler_limits(), None).unwrap();
    let loop_ = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let loaded = loop_
        .block_on(loader::load(&runtime, None, &built[0]))
        .expect("loading the hello plugin");
    let plugin = Arc::clone(&loaded.plugin);
    bencher.bench_local(|| {
        let mut store = runtime.new_store(plugin.name.clone(), RequestData::placeholder());
        loop_
            .block_on(plugin.pre.instantiate_async(&mut store))
            .expect("an instance");
    });
}
