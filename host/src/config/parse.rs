//! The parsers of the command line's values: durations, sizes, `PLUGIN=VALUE` pairs and
//! loopback addresses, each saying what to write instead when it refuses.

use std::net::SocketAddr;
use std::time::Duration;

/// Parses `PLUGIN=DURATION`.
pub fn parse_plugin_timeout(text: &str) -> Result<(String, Duration), String> {
    parse_plugin_value(
        text,
        "PLUGIN=DURATION: write e.g. tutorial=2s",
        parse_duration,
    )
}

/// Parses `PLUGIN=N`, N a count of requests of at least 1.
pub fn parse_plugin_reuse(text: &str) -> Result<(String, u32), String> {
    parse_plugin_value(text, "PLUGIN=N: write e.g. hello=1000", |count| {
        count
            .trim()
            .parse()
            .ok()
            .filter(|count| *count >= 1)
            .ok_or_else(|| format!("{count:?} is not a number of requests (1 or more)"))
    })
}

/// Parses `PLUGIN=VALUE`; `shape` says what was expected.
pub(super) fn parse_plugin_value<T>(
    text: &str,
    shape: &str,
    value: impl Fn(&str) -> Result<T, String>,
) -> Result<(String, T), String> {
    let (plugin, raw) = text
        .split_once('=')
        .filter(|(plugin, _)| !plugin.trim().is_empty())
        .ok_or_else(|| format!("{text:?} is not {shape}"))?;
    Ok((plugin.trim().to_owned(), value(raw)?))
}

/// Parses an address and refuses one that is not loopback: the admin endpoint has no
/// authentication, so it must not face the network.
pub fn parse_loopback(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("{text:?} is not an address: write e.g. 127.0.0.1:8079"))?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "{addr} is not a loopback address: the admin endpoint has no authentication, \
             so it only binds to 127.0.0.1 or ::1"
        ));
    }
    Ok(addr)
}

/// Parses `250ms`, `10s`, `2m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: write e.g. 500ms, 10s or 2m"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use ms, s or m"
            ));
        }
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is out of range"))
}

/// Parses `512`, `64KiB`, `64MiB`, `1GiB` (also `KB`, `MB`, `GB` and `K`, `M`, `G`, all
/// powers of 1024).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: usize = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size: write e.g. 64MiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        other => {
            return Err(format!(
                "unknown unit {other:?} in {text:?}: use KiB, MiB or GiB"
            ));
        }
    };
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_parse_with_units() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5h").is_err());
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert_eq!(parse_size("1g").unwrap(), 1 << 30);
        assert!(parse_size("12 parsecs").is_err());
        assert_eq!(
            parse_plugin_timeout("tutorial=2s").unwrap(),
            ("tutorial".to_owned(), Duration::from_secs(2))
        );
        assert!(parse_plugin_timeout("=2s").is_err());
        assert!(parse_plugin_timeout("tutorial").is_err());
        assert_eq!(
            parse_plugin_reuse("hello=1000").unwrap(),
            ("hello".to_owned(), 1000)
        );
        assert!(parse_plugin_reuse("hello=0").is_err());
        assert!(parse_plugin_reuse("hello=many").is_err());
    }
}
