//! The deployment files as a reader uses them: the flags of `deploy/gale@.service`'s
//! `ExecStart` and the variables of `deploy/gale.env`, with the machine's paths, the port
//! and the services' addresses swapped for the test's own.

use super::root;

/// What `deploy/` gives one server, ready for [`super::Server::start`].
pub struct Unit {
    /// `ExecStart`'s flags after `gale serve`, without `--plugins` (the harness gives its
    /// own directory).
    pub flags: Vec<String>,
    /// `gale.env`'s variables.
    pub env: Vec<(String, String)>,
}

/// Where the test keeps what the unit names on the machine.
pub struct Swaps<'a> {
    /// The address for `--listen 127.0.0.1:%i`.
    pub listen: &'a str,
    /// For `/srv/gale/static`.
    pub static_dir: &'a str,
    /// For `/etc/gale/cookie-secret`.
    pub secret_file: &'a str,
    /// For `GALE_DATABASE`; without one (the test's store is given by flags), the variable
    /// is left out.
    pub database: Option<&'a str>,
    /// For `GALE_PUBSUB`; without one, the variable is left out.
    pub pubsub: Option<&'a str>,
}

impl Unit {
    /// The unit's flags and the env file's variables, with `swaps` applied.
    pub fn read(swaps: &Swaps) -> Unit {
        let unit = std::fs::read_to_string(root().join("deploy/gale@.service")).unwrap();
        let exec = unit
            .split("ExecStart=")
            .nth(1)
            .expect("the unit has an ExecStart")
            .lines()
            .map(|line| line.trim().trim_end_matches('\\'))
            .take_while(|line| !line.is_empty() && !line.starts_with('#'))
            .collect::<Vec<_>>()
            .join(" ");
        let mut words = exec.split_whitespace().skip(1);
        assert_eq!(
            words.next(),
            Some("serve"),
            "ExecStart runs gale serve: {exec}"
        );
        let mut flags = Vec::new();
        while let Some(word) = words.next() {
            if word == "--plugins" {
                words.next();
                continue;
            }
            flags.push(match word {
                "127.0.0.1:%i" => swaps.listen.to_owned(),
                "/srv/gale/static" => swaps.static_dir.to_owned(),
                "/etc/gale/cookie-secret" => swaps.secret_file.to_owned(),
                other => other.to_owned(),
            });
        }
        let file = std::fs::read_to_string(root().join("deploy/gale.env")).unwrap();
        let env = file
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split_once('='))
            .filter_map(|(name, value)| {
                let value = match name {
                    "GALE_DATABASE" => swaps.database?,
                    "GALE_PUBSUB" => swaps.pubsub?,
                    _ => value,
                };
                Some((name.to_owned(), value.to_owned()))
            })
            .collect();
        Unit { flags, env }
    }
}
