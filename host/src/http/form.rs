//! Request bodies as Tornado's `parse_body_arguments` reads them: form-encoded and
//! `multipart/form-data` bodies become arguments and files; any other body has none. Free
//! of gale's types (beside its siblings `args` and `params`), so the fuzz targets include
//! it as it is.

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::{FutureExt, stream};

use super::args::{Arguments, TooManyArguments};
use super::params::parse_header;

/// An uploaded file: an entry of Tornado's `request.files[field]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The client's name for the file (RFC 2231 `filename*` decoded).
    pub filename: String,
    /// The part's `Content-Type`, `application/unknown` when it has none (as Tornado).
    pub content_type: String,
    /// The file's bytes.
    pub body: Bytes,
}

/// Every file field with its files, fields in order of first appearance.
pub type Files = Vec<(String, Vec<UploadedFile>)>;

/// Why a body is refused: HTTP 400, and the text says why in the log.
#[derive(Debug)]
pub enum BodyError {
    /// More arguments than `--max-arguments`.
    TooMany(TooManyArguments),
    /// A multipart body that does not parse.
    Malformed(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooMany(error) => error.fmt(f),
            Self::Malformed(why) => write!(f, "Invalid multipart/form-data: {why}"),
        }
    }
}

impl From<TooManyArguments> for BodyError {
    fn from(error: TooManyArguments) -> Self {
        Self::TooMany(error)
    }
}

/// What a body holds for the handler.
#[derive(Debug, Clone, Default)]
pub struct Form {
    /// The body arguments.
    pub arguments: Arguments,
    /// The uploaded files.
    pub files: Files,
}

/// Parses `body` by its `Content-Type`, as Tornado: a type that starts with
/// `application/x-www-form-urlencoded` or `multipart/form-data` is parsed (whatever its
/// charset parameter: values are decoded as UTF-8 when a handler reads them); others, JSON
/// included, give no arguments. More than `max_arguments` values and parts together is
/// refused. An error says why the body is malformed (HTTP 400).
///
/// Synchronous, and linear in the body's size: the caller may run a large body on the
/// blocking pool.
pub fn parse(
    content_type: Option<&str>,
    body: &Bytes,
    max_arguments: usize,
) -> Result<Form, BodyError> {
    let Some(content_type) = content_type else {
        return Ok(Form::default());
    };
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(Form {
            arguments: Arguments::parse_at_most(body, max_arguments)?,
            files: Files::new(),
        });
    }
    if !content_type.starts_with("multipart/form-data") {
        return Ok(Form::default());
    }
    let boundary = content_type
        .split(';')
        .filter_map(|field| field.trim().split_once('='))
        .find(|(key, value)| *key == "boundary" && !value.is_empty())
        .map(|(_, value)| value.trim_matches('"'))
        .ok_or_else(|| BodyError::Malformed("multipart boundary not found".into()))?;
    // The body is all in memory, so multer never waits: its future is ready when polled.
    multipart(boundary, body.clone(), max_arguments)
        .now_or_never()
        .unwrap_or_else(|| Err(BodyError::Malformed("the body ended early".into())))
}

impl From<multer::Error> for BodyError {
    fn from(error: multer::Error) -> Self {
        Self::Malformed(error.to_string())
    }
}

/// The parts of a multipart body: those with a non-empty filename are files, the others
/// arguments; a part that is not `form-data` or has no name is skipped, as Tornado does.
async fn multipart(boundary: &str, body: Bytes, limit: usize) -> Result<Form, BodyError> {
    let chunks = stream::iter([Ok::<_, std::convert::Infallible>(body)]);
    let mut parts = multer::Multipart::new(chunks, boundary);
    let mut form = Form::default();
    let (mut seen, mut file_fields) = (0, HashMap::new());
    while let Some(part) = parts.next_field().await? {
        seen += 1;
        if seen > limit {
            return Err(BodyError::TooMany(TooManyArguments(limit)));
        }
        let disposition = part
            .headers()
            .get(hyper::header::CONTENT_DISPOSITION)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
            .unwrap_or_default();
        let (kind, params) = parse_header(&disposition);
        let name = params.get("name").filter(|name| !name.is_empty()).cloned();
        let (true, Some(name)) = (kind == "form-data", name) else {
            tracing::warn!("skipping a multipart part without form-data and a name");
            continue;
        };
        let content_type = part
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("application/unknown")
            .to_owned();
        let body = part.bytes().await?;
        match params
            .get("filename")
            .filter(|filename| !filename.is_empty())
        {
            Some(filename) => add_file(
                &mut form.files,
                &mut file_fields,
                name,
                UploadedFile {
                    filename: filename.clone(),
                    content_type,
                    body,
                },
            ),
            None => form.arguments.push(name, body.to_vec()),
        }
    }
    Ok(form)
}

/// Adds `file` to its field, found through `index` (field → position in `files`).
fn add_file(
    files: &mut Files,
    index: &mut HashMap<String, usize>,
    field: String,
    file: UploadedFile,
) {
    match index.get(&field) {
        Some(&at) => files[at].1.push(file),
        None => {
            index.insert(field.clone(), files.len());
            files.push((field, vec![file]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(content_type: &str, body: &str) -> Result<Form, String> {
        parse(Some(content_type), &Bytes::from(body.to_owned()), 100).map_err(|e| e.to_string())
    }

    #[test]
    fn multipart_parts_become_arguments_and_files() {
        let body = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
                    --B\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\n\
                    Content-Type: text/plain\r\n\r\nhello\r\n\
                    --B\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\n\r\n\
                    --B--\r\n";
        let form = run("multipart/form-data; boundary=B", body).unwrap();
        assert_eq!(form.arguments.get("a"), [b"1".to_vec()]);
        let (field, files) = &form.files[0];
        assert_eq!(field, "f");
        assert_eq!(files[0].filename, "x.txt");
        assert_eq!(files[0].content_type, "text/plain");
        assert_eq!(&files[0].body[..], b"hello");
        assert_eq!(files[1].filename, "€.txt");
        assert_eq!(files[1].content_type, "application/unknown");
    }

    #[test]
    fn malformed_multipart_is_an_error() {
        assert!(run("multipart/form-data", "x").is_err());
        let unfinished = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
        assert!(run("multipart/form-data; boundary=B", unfinished).is_err());
    }

    #[test]
    fn more_parts_or_pairs_than_the_limit_are_refused() {
        let part = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
        let body = format!("{}--B--\r\n", part.repeat(3));
        let body = Bytes::from(body);
        let multipart = Some("multipart/form-data; boundary=B");
        assert_eq!(
            parse(multipart, &body, 3).unwrap().arguments.get("a").len(),
            3
        );
        let refused = parse(multipart, &body, 2).unwrap_err().to_string();
        assert!(refused.starts_with("more than 2 arguments"), "{refused}");
        let form = Some("application/x-www-form-urlencoded");
        assert!(parse(form, &Bytes::from("a&b&c"), 2).is_err());
    }

    #[test]
    fn only_form_types_are_parsed() {
        let form = run("application/x-www-form-urlencoded; charset=UTF-8", "a=1").unwrap();
        assert_eq!(form.arguments.get("a"), [b"1".to_vec()]);
        assert!(
            run("application/json", "{\"a\": 1}")
                .unwrap()
                .arguments
                .iter()
                .next()
                .is_none()
        );
    }
}
