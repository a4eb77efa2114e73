//! AWS error replies in all their shapes, for SSM (JSON 1.1) and STS (query protocol, XML)
//! alike: the code (namespace and URL stripped, secrets removed), AWS's message (bounded,
//! secrets redacted) and the HTTP status. Also the small XML reading both need.

use std::borrow::Cow;

use crate::error::{AwsError, sanitize_foreign};
use crate::message::Response;

/// The reply's content type, made safe to quote (for messages about unexpected replies).
pub(crate) fn content_type(response: &Response) -> String {
    let value = header_text(response, "content-type").unwrap_or(Cow::Borrowed("none"));
    sanitize_foreign(&value, &[]).chars().take(64).collect()
}

/// The first value of the reply's header `name`, its bytes read as UTF-8 with replacement.
fn header_text<'a>(response: &'a Response, name: &str) -> Option<Cow<'a, str>> {
    let value = response.headers().get(name)?;
    Some(String::from_utf8_lossy(value.as_bytes()))
}

/// The code and message of a JSON error body: `__type` (or `code` / `Code`) and `message` (or
/// `Message`); anything else, or a body that is not a JSON object, has neither. Read from a
/// `Value`, not derived: of several of these keys the first holding a string counts, where
/// derived aliases would refuse a body that has two.
#[derive(Default)]
struct JsonError {
    kind: Option<String>,
    message: Option<String>,
}

impl JsonError {
    fn parse(body: &[u8]) -> JsonError {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
            return JsonError::default();
        };
        let first = |keys: &[&str]| {
            keys.iter()
                .find_map(|key| value.get(key))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        JsonError {
            kind: first(&["__type", "code", "Code"]),
            message: first(&["message", "Message"]),
        }
    }
}

/// An AWS error reply in any of its shapes: JSON 1.1 (`__type`, `message`/`Message`), the
/// `x-amzn-errortype` header, or the XML of query-protocol services (`<Code>`, `<Message>`).
/// A reply with none of these gets its HTTP status as its code.
pub fn parse_error(response: &Response, secrets: &[&str]) -> AwsError {
    let status = response.status().as_u16();
    let body = response.body();
    let json = JsonError::parse(body);
    let text = std::str::from_utf8(body).ok();
    let header_code = header_text(response, "x-amzn-errortype").map(Cow::into_owned);
    let code = json
        .kind
        .or(header_code)
        .or_else(|| text.and_then(|t| xml_element(t, "Code")))
        .map(|c| sanitize_code(&c, secrets))
        .filter(|c| !c.is_empty());
    let Some(code) = code else {
        let reason = response
            .status()
            .canonical_reason()
            .unwrap_or("unknown status");
        return AwsError {
            code: status.to_string(),
            message: format!(
                "{reason}; the reply carried no AWS error code (content-type {}, {} bytes)",
                content_type(response),
                body.len()
            ),
            status,
        };
    };
    let message = json
        .message
        .or_else(|| text.and_then(|t| xml_element(t, "Message")))
        .unwrap_or_default();
    AwsError {
        code,
        message: sanitize_foreign(&message, secrets),
        status,
    }
}

/// `com.amazonaws.ssm#ParameterNotFound:http://...` -> `ParameterNotFound`, as the SDKs do;
/// only code characters are kept, and a code holding a secret (a hostile reply can put anything
/// between `<Code>` tags) loses it.
fn sanitize_code(raw: &str, secrets: &[&str]) -> String {
    let raw = raw.split(':').next().unwrap_or("");
    let raw = raw.rsplit('#').next().unwrap_or("");
    let code: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .take(128)
        .collect();
    secrets
        .iter()
        .filter(|s| s.len() >= 4)
        .fold(code, |code, secret| code.replace(secret, "REDACTED"))
}

/// The text of the first `<tag>...</tag>` in `xml`, entity-decoded for the five XML entities.
pub(crate) fn xml_element(xml: &str, tag: &str) -> Option<String> {
    Some(
        xml_text(xml, tag)?
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// The raw text between the first `<tag>` and its `</tag>` in `xml` (no entity decoding).
pub(crate) fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(&xml[start..end])
}
