//! Multipart bodies and their header parameters: any body under a fixed boundary parses to
//! arguments and files or to an "Invalid multipart/form-data" error, without panicking.
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/http/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "../../host/src/http/form.rs"]
mod form;
#[allow(dead_code)]
#[path = "../../host/src/http/params.rs"]
mod params;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = params::parse_header(&text);
    let body = bytes::Bytes::copy_from_slice(data);
    match form::parse(Some("multipart/form-data; boundary=B"), &body, 1000) {
        Ok(parsed) => {
            for (_, files) in &parsed.files {
                assert!(files.iter().all(|file| !file.filename.is_empty()));
            }
        }
        Err(error) => assert!(
            error.to_string().starts_with("Invalid multipart/form-data")
                || error.to_string().starts_with("more than 1000 arguments")
        ),
    }
});
