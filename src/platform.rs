//! The edges of the core: the three things it needs from whatever runs it.
//!
//! The core never touches WASI itself. The component's glue (`src/wasi/`) implements these
//! traits over `wasi:http`, `wasi:cli/environment` and `wasi:clocks`; tests implement them
//! with the doubles of `test_util` (the `test-util` feature).

use std::collections::HashMap;
use std::time::SystemTime;

pub use crate::message::{Request, RequestTimeouts, Response};

/// A failed exchange: the request was refused, not sent, or its reply not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    /// What went wrong, without any request or response content.
    pub message: String,
    /// Whether another attempt may succeed (a dropped connection or a timeout, not a refusal
    /// by the host or an oversize reply).
    pub retryable: bool,
}

/// Sends one HTTP request and returns the whole reply.
pub trait Transport {
    /// Sends `request` (with its `host` header, which an implementation may have to move into
    /// the authority) and returns the reply with its body read completely.
    fn send(&mut self, request: Request) -> Result<Response, TransportError>;
}

/// Reads files (the shared AWS config files, web identity and container token files).
pub trait Filesystem {
    /// The whole file as UTF-8.
    fn read_to_string(&self, path: &str) -> std::io::Result<String>;
}

/// The process's files (`std::fs`; in the component, only what the host preopened).
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessFilesystem;

impl Filesystem for ProcessFilesystem {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Reads environment variables.
pub trait Environment {
    /// The value of `name`, or `None` when it is unset or not UTF-8.
    fn var(&self, name: &str) -> Option<String>;
}

/// Tells the time (for signing and expiry) and waits (between retries).
pub trait Clock {
    /// The current wall-clock time.
    fn now(&self) -> SystemTime;

    /// Blocks for `duration`.
    fn sleep(&self, duration: std::time::Duration);
}

/// The process environment (`std::env`, which on `wasm32-wasip2` is `wasi:cli/environment`).
#[derive(Debug, Default, Clone, Copy)]
pub struct ProcessEnvironment;

impl Environment for ProcessEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

/// The system clock (`wasi:clocks/wall-clock` on `wasm32-wasip2`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: std::time::Duration) {
        // On wasm32-wasip2 this is wasi:clocks/monotonic-clock's subscribe-duration.
        std::thread::sleep(duration);
    }
}

/// A fixed set of variables, for hosts that pass configuration explicitly (`host-example`'s
/// grants read the session's variables this way) and for tests.
impl Environment for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
}
