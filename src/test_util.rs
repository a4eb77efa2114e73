//! Test doubles for the [`crate::platform`] traits: a scripted transport, a fake clock and
//! files held in memory. Built for this crate's tests and with the `test-util` feature (the
//! root crate's integration tests enable it through `host-example`'s feature of that name);
//! never in the component.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, SystemTime};

use crate::message::{Request, Response};
use crate::platform::{Clock, Filesystem, Transport, TransportError};

/// One scripted answer.
pub type Reply = Result<Response, TransportError>;

/// A reply with `status` and `body` and no headers.
///
/// # Panics
///
/// When `status` is not an HTTP status (100-999).
pub fn reply(status: u16, body: impl Into<Vec<u8>>) -> Response {
    let mut reply = Response::new(body.into());
    *reply.status_mut() = http::StatusCode::from_u16(status).expect("an HTTP status");
    reply
}

/// `reply` with the header `name: value` added.
///
/// # Panics
///
/// When `name` or `value` cannot be a header.
pub fn with_header(mut reply: Response, name: &str, value: &str) -> Response {
    reply.headers_mut().append(
        http::HeaderName::from_bytes(name.as_bytes()).expect("a header name"),
        http::HeaderValue::from_str(value).expect("a header value"),
    );
    reply
}

/// A transport that answers from a script, in order, and records every request it is sent.
pub struct ScriptedTransport {
    replies: VecDeque<Reply>,
    otherwise: Option<Reply>,
    /// The requests sent, in order.
    pub seen: Vec<Request>,
}

impl ScriptedTransport {
    /// Answers with `replies`, then panics: a request the script did not expect is a bug.
    pub fn new(replies: Vec<Reply>) -> Self {
        ScriptedTransport {
            replies: replies.into(),
            otherwise: None,
            seen: Vec::new(),
        }
    }

    /// Once the script is used up, answers every request with `reply`.
    pub fn then_always(mut self, reply: Reply) -> Self {
        self.otherwise = Some(reply);
        self
    }
}

impl Transport for ScriptedTransport {
    fn send(&mut self, request: Request) -> Reply {
        self.seen.push(request);
        match (self.replies.pop_front(), &self.otherwise) {
            (Some(reply), _) => reply,
            (None, Some(reply)) => reply.clone(),
            (None, None) => panic!("request {} has no scripted reply", self.seen.len()),
        }
    }
}

/// A test clock: starts at a fixed instant and moves only when slept on; records the sleeps.
#[derive(Debug)]
pub struct FakeClock {
    now: Cell<SystemTime>,
    slept: RefCell<Vec<Duration>>,
}

impl FakeClock {
    /// A clock at `start`.
    pub fn new(start: SystemTime) -> Self {
        FakeClock {
            now: Cell::new(start),
            slept: RefCell::new(Vec::new()),
        }
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.slept.borrow().clone()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.now.set(self.now.get() + by);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        self.now.get()
    }

    fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
        self.advance(duration);
    }
}

/// Files held in memory, by path.
impl Filesystem for HashMap<&'static str, &'static str> {
    fn read_to_string(&self, path: &str) -> std::io::Result<String> {
        self.get(path)
            .map(|s| s.to_string())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
    }
}
