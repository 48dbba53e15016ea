//! Property tests of the parsers that face the network or the user: arguments, route
//! patterns and their captures, and the size and duration flags.

use gale_host::__private::Pattern;
use gale_host::__private::args::{Arguments, decode_value};
use gale_host::__private::{parse_duration, parse_size};
use percent_encoding::{NON_ALPHANUMERIC, percent_encode};
use proptest::prelude::*;

fn form_encode(text: &str) -> String {
    percent_encode(text.as_bytes(), NON_ALPHANUMERIC).to_string()
}

proptest! {
    #[test]
    fn encoded_arguments_parse_back_to_their_names_and_values(
        pairs in proptest::collection::vec(("[^\u{0}]{1,12}", ".{0,12}"), 0..8)
    ) {
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(name, value)| format!("{}={}", form_encode(name), form_encode(value)))
            .collect();
        let arguments = Arguments::parse(encoded.join("&").as_bytes());
        for (name, _) in &pairs {
            let expected: Vec<Vec<u8>> = pairs
                .iter()
                .filter(|(other, _)| other == name)
                .map(|(_, value)| value.clone().into_bytes())
                .collect();
            prop_assert_eq!(arguments.get(name), &expected[..]);
        }
    }

    #[test]
    fn any_bytes_parse_as_arguments_and_decode_without_panicking(
        raw in proptest::collection::vec(any::<u8>(), 0..200),
        strip in any::<bool>(),
    ) {
        let arguments = Arguments::parse(&raw);
        for (name, values) in arguments.iter() {
            for value in values {
                match decode_value(name, value, strip) {
                    Ok(text) => prop_assert!(!text.chars().any(|c| matches!(c, '\x00'..='\x08'))),
                    Err(error) => prop_assert!(error.to_string().starts_with("Invalid unicode in")),
                }
            }
        }
    }

    #[test]
    fn any_pattern_compiles_or_is_refused_and_matching_never_panics(
        source in ".{0,24}",
        path in ".{0,40}",
    ) {
        if let Ok(pattern) = Pattern::new(&source) {
            let _ = pattern.captures(&path);
        }
    }

    #[test]
    fn reverse_url_then_match_gives_back_the_arguments(
        first in "[^/]{1,16}",
        second in "[^/]{1,16}",
    ) {
        let pattern = Pattern::new(r"/a/([^/]+)/b/([^/]+)").unwrap();
        let url = pattern.reverse(&[first.clone(), second.clone()]).unwrap();
        let captured = pattern.captures(&url).expect("its own URL matches").unwrap();
        prop_assert_eq!(captured.args, vec![Some(first), Some(second)]);
    }

    #[test]
    fn sizes_and_durations_parse_their_units_and_refuse_the_rest(
        number in 0usize..1 << 20,
        text in ".{0,12}",
    ) {
        prop_assert_eq!(parse_size(&format!("{number}KiB")), Ok(number << 10));
        prop_assert_eq!(
            parse_duration(&format!("{number}ms")),
            Ok(std::time::Duration::from_millis(number as u64))
        );
        let _ = (parse_size(&text), parse_duration(&text));
    }
}

mod cookies {
    use std::time::{Duration, UNIX_EPOCH};

    use gale_host::__private::cookies::{
        CookieOptions, parse_cookie, quote, set_cookie_header, unquote,
    };
    use gale_host::__private::signed;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_latin1_value_quotes_and_unquotes_to_itself(value in "[\u{0}-\u{ff}]{0,24}") {
            let quoted = quote(&value).expect("latin-1 can be quoted");
            prop_assert_eq!(unquote(&quoted), value);
        }

        #[test]
        fn a_set_cookie_parses_back_to_its_name_and_value(
            name in "[A-Za-z0-9_.-]{1,12}",
            value in "[!-~]{0,24}",
            path in proptest::option::of("/[a-z/]{0,8}"),
            httponly in any::<bool>(),
        ) {
            let options = CookieOptions { path, httponly, ..CookieOptions::default() };
            let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let header = set_cookie_header(&name, &value, &options, now).unwrap();
            let pair = header.split("; ").next().unwrap();
            prop_assert_eq!(parse_cookie(pair), vec![(name, value)]);
        }

        #[test]
        fn any_cookie_options_a_plugin_passes_give_a_cookie_or_an_error_never_a_panic(
            name in ".{0,8}",
            value in ".{0,8}",
            domain in proptest::option::of(".{0,8}"),
            path in proptest::option::of(".{0,8}"),
            samesite in proptest::option::of(".{0,8}"),
            expires in proptest::option::of(any::<f64>()),
            expires_days in proptest::option::of(any::<f64>()),
            max_age in proptest::option::of(any::<u64>()),
            httponly in any::<bool>(),
            secure in any::<bool>(),
        ) {
            let options = CookieOptions {
                domain,
                // As the host converts a plugin's seconds since the epoch.
                expires: expires.and_then(gale_host::__private::date::from_unix),
                path,
                expires_days,
                max_age,
                httponly,
                secure,
                samesite,
            };
            let _ = set_cookie_header(&name, &value, &options, std::time::SystemTime::now());
        }

        #[test]
        fn any_cookie_header_parses_to_legal_names(header in ".{0,80}") {
            for (name, _) in parse_cookie(&header) {
                prop_assert!(gale_host::__private::cookies::is_legal_name(&name));
            }
        }

        #[test]
        fn a_signed_value_reads_back_only_with_its_secret_and_name(
            value in proptest::collection::vec(any::<u8>(), 0..64),
            name in "[a-z]{1,8}",
        ) {
            let signed = signed::create(b"secret", &name, &value, 1_700_000_000);
            let read = signed::decode(b"secret", &name, &signed, 31.0, 1_700_000_000);
            prop_assert_eq!(read.as_deref(), Some(&value[..]));
            prop_assert_eq!(signed::decode(b"Secret", &name, &signed, 31.0, 1_700_000_000), None);
            let other = format!("{name}x");
            prop_assert_eq!(signed::decode(b"secret", &other, &signed, 31.0, 1_700_000_000), None);
        }
    }
}
