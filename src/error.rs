//! The one error type of the core: an opaque struct over a kind, with a message that never holds
//! a secret.
//!
//! Callers match on [`ErrorKind`]; the message is for people. Every constructor that takes text
//! from outside (an AWS reply) bounds its length and strips control characters, and the places
//! that know a secret (credentials, a parameter value) redact it before the text gets here.

use std::fmt;

use crate::failure::{self, FailureClass};

/// An AWS error reply: the sanitised error code, AWS's message and the HTTP status.
#[derive(Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The error code without namespace or URL, e.g. `AccessDeniedException`.
    pub code: String,
    /// AWS's message, bounded and with the credentials in play removed.
    pub message: String,
    /// The HTTP status of the reply.
    pub status: u16,
}

/// What kind of failure an [`Error`] is; mirrors the WIT `error` variant.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `backend_kwargs` (or the environment) does not describe a usable backend.
    Configuration,
    /// No usable AWS credentials.
    Credentials,
    /// AWS refused the caller.
    AccessDenied(AwsError),
    /// AWS throttled the caller.
    Throttled(AwsError),
    /// Any other AWS error reply.
    Service(AwsError),
    /// The request could not be sent or the reply not read.
    Transport,
    /// A reply or a connection value that cannot be used.
    InvalidValue,
}

/// An error of the core. Its `Display` and `Debug` show the kind and a message free of secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retry: Option<FailureClass>,
}

/// The longest message taken from outside (an AWS reply), in characters.
const MAX_FOREIGN_MESSAGE: usize = 512;

impl Error {
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            retry: None,
        }
    }

    pub(crate) fn configuration(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Configuration, message)
    }

    pub(crate) fn credentials(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Credentials, message)
    }

    pub(crate) fn transport(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Transport, message)
    }

    /// A transport failure worth retrying (a dropped connection, a timeout).
    pub(crate) fn transport_retryable(message: impl Into<String>) -> Self {
        let mut error = Self::new(ErrorKind::Transport, message);
        error.retry = Some(FailureClass::Transient);
        error
    }

    pub(crate) fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidValue, message)
    }

    /// An AWS error reply, classified by its code and status ([`crate::failure`]).
    pub(crate) fn aws(error: AwsError) -> Self {
        let message = format!("{} (HTTP {}): {}", error.code, error.status, error.message);
        let retry = FailureClass::of_reply(&error.code, error.status);
        let kind = if failure::is_access_denied(&error.code) {
            ErrorKind::AccessDenied(error)
        } else if failure::is_throttling(&error.code, error.status) {
            ErrorKind::Throttled(error)
        } else {
            ErrorKind::Service(error)
        };
        let mut error = Self::new(kind, message);
        error.retry = retry;
        error
    }

    /// Whether, and how, the standard retry mode retries this failure.
    pub fn retry_class(&self) -> Option<FailureClass> {
        self.retry
    }

    /// The AWS error code, for AWS errors.
    pub fn aws_code(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::AccessDenied(a) | ErrorKind::Throttled(a) | ErrorKind::Service(a) => {
                Some(&a.code)
            }
            _ => None,
        }
    }

    /// AWS rejected the signature's time ([`failure::is_clock_skew`]).
    pub fn is_clock_skew(&self) -> bool {
        self.aws_code().is_some_and(failure::is_clock_skew)
    }

    /// AWS said the session token expired ([`failure::is_expired_token`]).
    pub fn is_expired_token(&self) -> bool {
        matches!(&self.kind, ErrorKind::Service(a) if failure::is_expired_token(&a.code))
    }

    /// AWS refused a `GetParameters` batch as a whole ([`failure::refuses_batch`]).
    pub fn refuses_batch(&self) -> bool {
        self.aws_code().is_some_and(failure::refuses_batch)
    }

    /// The kind of failure.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The human-readable message (no kind prefix).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context: ` in front of its message.
    /// AWS errors carry it in their own message too, which is what crosses the WIT boundary.
    pub(crate) fn context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        if let ErrorKind::AccessDenied(a) | ErrorKind::Throttled(a) | ErrorKind::Service(a) =
            &mut self.kind
        {
            a.message = format!("{context}: {}", a.message);
        }
        self
    }
}

/// `text` in double quotes for a message, `"` and `\` escaped and control characters written as
/// `\u{..}`, so that no value can break a log line (what `{:?}` did, without the Unicode tables
/// `Debug` brings into the component).
pub fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                out.push_str("\\u{");
                out.push_str(&format!("{:x}", u32::from(c)));
                out.push('}');
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Makes text from outside safe to show: control characters become spaces, every `secret` is
/// replaced by `<redacted>`, and the result is cut to a bounded length.
pub(crate) fn sanitize_foreign(text: &str, secrets: &[&str]) -> String {
    let mut clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        clean = clean.replace(secret, "<redacted>");
    }
    let clean = clean.trim();
    match clean.char_indices().nth(MAX_FOREIGN_MESSAGE) {
        Some((cut, _)) => format!("{}...", &clean[..cut]),
        None => clean.to_string(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.kind {
            ErrorKind::Configuration => "configuration error",
            ErrorKind::Credentials => "credentials error",
            ErrorKind::AccessDenied(_) => "access denied",
            ErrorKind::Throttled(_) => "throttled",
            ErrorKind::Service(_) => "AWS error",
            ErrorKind::Transport => "transport error",
            ErrorKind::InvalidValue => "invalid value",
        };
        write!(f, "{prefix}: {}", self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Debug for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsError")
            .field("code", &self.code)
            .field("status", &self.status)
            .field("message", &self.message)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_matches_debug_for_ordinary_text_and_never_breaks_a_line() {
        for text in [
            "plain",
            "",
            "with \"quotes\" and \\",
            "tab\there",
            "caf\u{e9} \u{1F600}",
        ] {
            assert_eq!(quoted(text), format!("{text:?}"), "{text}");
        }
        let shown = quoted("a\nb\rc\u{0}d\u{1b}[31me\u{85}");
        assert!(!shown.chars().any(char::is_control), "{shown}");
        assert_eq!(shown, r#""a\nb\rc\u{0}d\u{1b}[31me\u{85}""#);
    }

    fn aws(code: &str, status: u16) -> AwsError {
        AwsError {
            code: code.into(),
            message: "m".into(),
            status,
        }
    }

    #[test]
    fn aws_errors_are_classified_by_code_and_status() {
        assert!(matches!(
            Error::aws(aws("AccessDeniedException", 400)).kind(),
            ErrorKind::AccessDenied(_)
        ));
        assert!(matches!(
            Error::aws(aws("ThrottlingException", 400)).kind(),
            ErrorKind::Throttled(_)
        ));
        assert!(matches!(
            Error::aws(aws("Whatever", 429)).kind(),
            ErrorKind::Throttled(_)
        ));
        let e = Error::aws(aws("ValidationException", 400));
        assert!(matches!(e.kind(), ErrorKind::Service(a) if a.code == "ValidationException"));
        assert_eq!(e.retry_class(), None);
        assert_eq!(
            Error::aws(aws("ThrottlingException", 400)).retry_class(),
            Some(FailureClass::Throttling)
        );
        for (code, status) in [
            ("InternalServerError", 500),
            ("x", 502),
            ("x", 503),
            ("x", 504),
            ("RequestTimeout", 400),
        ] {
            assert_eq!(
                Error::aws(aws(code, status)).retry_class(),
                Some(FailureClass::Transient),
                "{code} {status}"
            );
        }
        assert_eq!(
            Error::aws(aws("AccessDeniedException", 400)).retry_class(),
            None
        );
        assert_eq!(
            e.to_string(),
            "AWS error: ValidationException (HTTP 400): m"
        );
    }

    #[test]
    fn foreign_text_is_redacted_bounded_and_flattened() {
        let s = sanitize_foreign("line1\nhas SECRETKEY inside", &["SECRETKEY", ""]);
        assert_eq!(s, "line1 has <redacted> inside");
        let long = "x".repeat(2000);
        assert_eq!(
            sanitize_foreign(&long, &[]).chars().count(),
            MAX_FOREIGN_MESSAGE + 3
        );
    }

    #[test]
    fn skew_codes() {
        let aws = |code: &str| {
            Error::aws(AwsError {
                code: code.into(),
                message: String::new(),
                status: 400,
            })
        };
        assert!(aws("InvalidSignatureException").is_clock_skew());
        assert!(aws("SignatureDoesNotMatch").is_clock_skew());
        assert!(!aws("AccessDeniedException").is_clock_skew());
    }
}
