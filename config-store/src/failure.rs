//! From the lookup interface's errors to `wasi:config/store`'s: a refused connection or a host
//! that does not allow the request is `io`; everything SSM, STS or the configuration says is
//! `upstream`. The text is built only from the lookup's error, which carries no secret value,
//! password, session token or signature by contract; nothing else is added but fixed words.

/// An AWS error reply as the lookup interface carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The AWS error code, e.g. `AccessDeniedException`.
    pub code: String,
    /// AWS's message, bounded and without credentials.
    pub message: String,
    /// The HTTP status of AWS's reply.
    pub status: u16,
}

/// The lookup interface's `error`, mirrored so the mapping is tested natively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `configuration`.
    Configuration(String),
    /// `credentials`.
    Credentials(String),
    /// `access-denied`.
    AccessDenied(AwsError),
    /// `throttled`.
    Throttled(AwsError),
    /// `service`.
    Service(AwsError),
    /// `transport`.
    Transport(String),
    /// `invalid-value`.
    InvalidValue(String),
}

/// `wasi:config/store`'s `error`, mirrored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// `upstream`: SSM (or STS, or the configuration) refused or failed the lookup.
    Upstream(String),
    /// `io`: the request could not be sent or its reply could not be read.
    Io(String),
}

/// The store's error for a failed lookup.
pub fn store_error(failure: Failure) -> StoreError {
    let aws = |what: &str, e: AwsError| {
        format!("SSM {what}: {} (HTTP {}): {}", e.code, e.status, e.message)
    };
    match failure {
        Failure::Configuration(m) => StoreError::Upstream(format!("SSM configuration error: {m}")),
        Failure::Credentials(m) => StoreError::Upstream(format!("SSM credentials error: {m}")),
        Failure::AccessDenied(e) => StoreError::Upstream(aws("access denied", e)),
        Failure::Throttled(e) => StoreError::Upstream(aws("throttled", e)),
        Failure::Service(e) => StoreError::Upstream(aws("error", e)),
        Failure::InvalidValue(m) => StoreError::Upstream(format!("SSM invalid value: {m}")),
        Failure::Transport(m) => StoreError::Io(format!("SSM transport error: {m}")),
    }
}

/// `get-all`'s answer: the lookup interface reads named parameters only (`GetParameter`,
/// `GetParameters`) and has no listing (`GetParametersByPath`), so there is nothing to list by.
pub fn get_all_unsupported() -> StoreError {
    StoreError::Upstream(
        "get-all is not supported: the SSM lookups read named parameters only (no \
         GetParametersByPath listing); read each key with get"
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str, status: u16) -> AwsError {
        AwsError {
            code: code.to_string(),
            message: "User: arn:aws:iam::123456789012:user/x is not authorized".to_string(),
            status,
        }
    }

    #[test]
    fn aws_replies_are_upstream_with_code_status_and_message() {
        assert_eq!(
            store_error(Failure::AccessDenied(aws("AccessDeniedException", 400))),
            StoreError::Upstream(
                "SSM access denied: AccessDeniedException (HTTP 400): User: \
                 arn:aws:iam::123456789012:user/x is not authorized"
                    .to_string()
            )
        );
        for failure in [
            Failure::Throttled(aws("ThrottlingException", 400)),
            Failure::Service(aws("SignatureDoesNotMatch", 403)),
        ] {
            let StoreError::Upstream(m) = store_error(failure.clone()) else {
                panic!("{failure:?} is not upstream");
            };
            assert!(m.starts_with("SSM "), "{m}");
            assert!(m.contains("is not authorized"), "{m}");
        }
    }

    #[test]
    fn configuration_credentials_and_values_are_upstream() {
        assert_eq!(
            store_error(Failure::Configuration("no region".to_string())),
            StoreError::Upstream("SSM configuration error: no region".to_string())
        );
        assert_eq!(
            store_error(Failure::Credentials("none found".to_string())),
            StoreError::Upstream("SSM credentials error: none found".to_string())
        );
        assert_eq!(
            store_error(Failure::InvalidValue("bad reply".to_string())),
            StoreError::Upstream("SSM invalid value: bad reply".to_string())
        );
    }

    #[test]
    fn transport_failures_are_io() {
        assert_eq!(
            store_error(Failure::Transport("connection refused".to_string())),
            StoreError::Io("SSM transport error: connection refused".to_string())
        );
    }

    #[test]
    fn get_all_says_why_it_is_unsupported() {
        let StoreError::Upstream(m) = get_all_unsupported() else {
            panic!("not upstream");
        };
        assert!(m.starts_with("get-all is not supported: "), "{m}");
        assert!(m.contains("GetParametersByPath"), "{m}");
    }
}
