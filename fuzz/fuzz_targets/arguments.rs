//! The argument parser and decoder: any query string or form body parses, and every value
//! decodes to text or to the "Invalid unicode" error, without panicking.
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/http/args.rs"]
mod args;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let arguments = args::Arguments::parse(data);
    let merged = arguments.merged(&args::Arguments::parse(data));
    for (name, values) in merged.iter() {
        for value in values {
            match args::decode_value(name, value, true) {
                Ok(_) => {}
                Err(message) => assert!(message.starts_with("Invalid unicode in")),
            }
        }
    }
});
