//! The host's reason for a failed connection, added to the component's transport errors:
//! `wasi:http`'s error codes carry no text for TLS or connect failures (`TLS-certificate-error`,
//! `connection-refused`), so a session appends what its egress hooks saw (the certificate's
//! fault, what a proxy answered) to every transport error of the call.

use crate::Error;

/// Results whose transport errors can take the host's reason for a failed connection.
pub trait Explain {
    /// This result with `why` added to its transport errors.
    fn explain(self, why: &str) -> Self;
}

impl Explain for Error {
    fn explain(self, why: &str) -> Self {
        match self {
            Error::Transport(message) => Error::Transport(format!("{message} ({why})")),
            other => other,
        }
    }
}

impl<T> Explain for Result<T, Error> {
    fn explain(self, why: &str) -> Self {
        self.map_err(|e| e.explain(why))
    }
}

impl<T> Explain for Vec<Result<T, Error>> {
    fn explain(self, why: &str) -> Self {
        self.into_iter().map(|r| r.explain(why)).collect()
    }
}

impl Explain for () {
    fn explain(self, _why: &str) -> Self {}
}

impl<T: Explain> Explain for wasmtime::Result<T> {
    fn explain(self, why: &str) -> Self {
        self.map(|r| r.explain(why))
    }
}
