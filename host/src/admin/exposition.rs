//! Reading the metrics' exposition back, for `gale plugins` and `gale top`: each sample's
//! name, labels (unescaped) and value.

/// One line of the exposition.
pub(super) struct Sample {
    pub(super) name: String,
    labels: Vec<(String, String)>,
    pub(super) value: f64,
}

impl Sample {
    /// The value of label `name`, if the sample has it.
    pub(super) fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Whether it counts responses with a 5xx status.
    pub(super) fn is_server_error(&self) -> bool {
        self.label("code").is_some_and(|code| code.starts_with('5'))
    }
}

/// The samples of `exposition`, comments and malformed lines skipped.
pub(super) fn samples(exposition: &str) -> Vec<Sample> {
    exposition
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(sample)
        .collect()
}

fn sample(line: &str) -> Option<Sample> {
    let (name, labels, rest) = match line.split_once('{') {
        Some((name, rest)) => {
            let (labels, rest) = parse_labels(rest);
            (name, labels, rest)
        }
        None => {
            let (name, rest) = line.split_once(' ')?;
            (name, Vec::new(), rest)
        }
    };
    let value = rest.split_whitespace().next()?.parse().ok()?;
    Some(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// A sample's labels (`name="value",…}`, values escaped with `\`) and what follows them.
fn parse_labels(text: &str) -> (Vec<(String, String)>, &str) {
    let mut labels = Vec::new();
    let mut rest = text;
    while let Some((name, after)) = rest.split_once("=\"") {
        let name = name.trim_start_matches(',').to_owned();
        let (mut value, mut chars) = (String::new(), after.char_indices());
        let mut end = after.len();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, escaped)) => value.push(escaped),
                    None => {}
                },
                '"' => {
                    end = at + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        labels.push((name, value));
        rest = &after[end..];
        if let Some(after_labels) = rest.strip_prefix('}') {
            return (labels, after_labels);
        }
    }
    (labels, rest)
}
