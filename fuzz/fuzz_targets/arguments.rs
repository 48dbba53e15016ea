//! The argument parser and decoder: any query string or form body parses, and every value
//! decodes to text or to the "Invalid unicode" error, without panicking, in time linear in
//! its size (a quadratic parser once let one 8 MB body stall the server for minutes).
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/http/args.rs"]
mod args;

use std::time::{Duration, Instant};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let started = Instant::now();
    let arguments = args::Arguments::parse(data);
    let merged = arguments.merged(&args::Arguments::parse(data));
    for (name, values) in merged.iter() {
        for value in values {
            match args::decode_value(name, value, true) {
                Ok(_) => {}
                Err(error) => assert!(error.to_string().starts_with("Invalid unicode in")),
            }
        }
    }
    // Generous for sanitizers, far below what a quadratic parser takes on a long input.
    let budget = Duration::from_millis(50) + Duration::from_micros(5) * data.len() as u32;
    assert!(started.elapsed() < budget, "{} bytes took {:?}", data.len(), started.elapsed());
});
