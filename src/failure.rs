//! What an AWS error reply means, in one table: access denied, throttling, a transient fault,
//! a clock skew, an expired token, a batch refused as a whole.
//!
//! [`crate::error`] classifies replies with it, [`crate::retry`] prices and paces retries by its
//! [`FailureClass`], and the backend's call loop asks it about skew, expired tokens and refused
//! batches. A leaf: it imports nothing of this crate.

/// Why a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The service asked the caller to slow down.
    Throttling,
    /// A server fault, a dropped connection or a timeout.
    Transient,
}

impl FailureClass {
    /// How the standard retry mode retries an AWS error reply (`None`: it does not).
    pub fn of_reply(code: &str, status: u16) -> Option<Self> {
        if is_access_denied(code) {
            None
        } else if is_throttling(code, status) {
            Some(FailureClass::Throttling)
        } else if is_transient(code, status) {
            Some(FailureClass::Transient)
        } else {
            None
        }
    }
}

/// AWS refused the caller.
pub fn is_access_denied(code: &str) -> bool {
    matches!(code, "AccessDeniedException" | "AccessDenied")
}

/// The throttling error codes of the AWS SDKs' standard retry mode, plus HTTP 429.
pub fn is_throttling(code: &str, status: u16) -> bool {
    status == 429
        || matches!(
            code,
            "Throttling"
                | "ThrottlingException"
                | "ThrottledException"
                | "RequestThrottledException"
                | "TooManyRequestsException"
                | "ProvisionedThroughputExceededException"
                | "TransactionInProgressException"
                | "RequestLimitExceeded"
                | "BandwidthLimitExceeded"
                | "LimitExceededException"
                | "RequestThrottled"
                | "SlowDown"
                | "PriorRequestNotComplete"
                | "EC2ThrottledException"
        )
}

/// Server faults and timeouts the standard retry mode treats as transient.
pub fn is_transient(code: &str, status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
        || matches!(
            code,
            "RequestTimeout"
                | "RequestTimeoutException"
                | "PriorRequestNotComplete"
                | "InternalServerError"
                | "InternalFailure"
                | "ServiceUnavailable"
        )
}

/// Codes with which AWS rejects a request signed at the wrong time.
pub fn is_clock_skew(code: &str) -> bool {
    matches!(
        code,
        "InvalidSignatureException"
            | "SignatureDoesNotMatch"
            | "RequestTimeTooSkewed"
            | "RequestExpired"
            | "RequestInTheFuture"
            | "AuthFailure"
            | "InvalidSignature"
    )
}

/// `ExpiredTokenException` (SSM) or `ExpiredToken` (query protocol): temporary credentials
/// expired early, fetching them again may help.
pub fn is_expired_token(code: &str) -> bool {
    matches!(code, "ExpiredTokenException" | "ExpiredToken")
}

/// A `GetParameters` batch refused as a whole (its own IAM action denied, or one invalid name),
/// where single lookups may still succeed or fail per name.
pub fn refuses_batch(code: &str) -> bool {
    is_access_denied(code) || code == "ValidationException"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_classified_by_code_and_status() {
        assert_eq!(
            FailureClass::of_reply("ThrottlingException", 400),
            Some(FailureClass::Throttling)
        );
        assert_eq!(
            FailureClass::of_reply("Whatever", 429),
            Some(FailureClass::Throttling)
        );
        assert_eq!(
            FailureClass::of_reply("x", 503),
            Some(FailureClass::Transient)
        );
        assert_eq!(FailureClass::of_reply("AccessDeniedException", 503), None);
        assert_eq!(FailureClass::of_reply("ValidationException", 400), None);
        assert!(is_clock_skew("SignatureDoesNotMatch") && !is_clock_skew("AccessDenied"));
        assert!(is_expired_token("ExpiredToken") && !is_expired_token("InvalidToken"));
        assert!(refuses_batch("AccessDeniedException") && refuses_batch("ValidationException"));
        assert!(!refuses_batch("ThrottlingException"));
    }
}
