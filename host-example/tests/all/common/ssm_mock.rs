//! A keep-alive HTTP/1.1 SSM mock on 127.0.0.1 that counts the connections it accepts and
//! records every request (which connection, `Host`, parameter name), for the tests of the
//! pooled network upstream.
//!
//! `GetParameter` and `GetParameters` answer every name with [`SsmMock::value`]. A connection
//! stays open after a reply (no `connection: close`) unless the mock is told to close idle
//! connections or to reset one after reading a request.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request, as the mock read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Which accepted connection (0, 1, ...) carried it.
    pub connection: usize,
    /// Its position on that connection (0 for the first).
    pub on_connection: usize,
    /// The `Host` header.
    pub host: String,
    /// `x-amz-target`.
    pub target: String,
    /// The parameter names asked for.
    pub names: Vec<String>,
}

type Value = dyn Fn(&str) -> String + Send + Sync;
type Reset = dyn Fn(&Seen) -> bool + Send + Sync;
type Delay = dyn Fn(&Seen) -> Option<Duration> + Send + Sync;
type Override = dyn Fn(&Seen) -> Option<(u16, String)> + Send + Sync;

/// How the mock behaves; [`SsmMockBuilder::start`] starts it.
pub struct SsmMockBuilder {
    value: Arc<Value>,
    idle_close: Option<Duration>,
    reset: Arc<Reset>,
    delay: Arc<Delay>,
    answer: Arc<Override>,
}

impl SsmMockBuilder {
    /// The value of a parameter name (default: `<label>:<name>`).
    pub fn value(mut self, value: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.value = Arc::new(value);
        self
    }

    /// Closes a connection (FIN) once it has been idle for `after` after a reply (a server's
    /// idle timeout); `Duration::ZERO` closes it right after each reply, unannounced (no
    /// `connection: close`).
    pub fn idle_close(mut self, after: Duration) -> Self {
        self.idle_close = Some(after);
        self
    }

    /// Resets the connection (RST: `SO_LINGER` 0, then close) instead of answering a request
    /// for which `when` holds; the request has been read in full.
    pub fn reset_when(mut self, when: impl Fn(&Seen) -> bool + Send + Sync + 'static) -> Self {
        self.reset = Arc::new(when);
        self
    }

    /// Waits as long as `when` says before answering a request (a slow or hanging SSM).
    pub fn delay_when(
        mut self,
        when: impl Fn(&Seen) -> Option<Duration> + Send + Sync + 'static,
    ) -> Self {
        self.delay = Arc::new(when);
        self
    }

    /// Answers a request with `(status, body)` when `with` gives one (an AWS error reply).
    pub fn answer_with(
        mut self,
        with: impl Fn(&Seen) -> Option<(u16, String)> + Send + Sync + 'static,
    ) -> Self {
        self.answer = Arc::new(with);
        self
    }

    /// Listens on 127.0.0.1 (a free port) and serves each connection on its own thread.
    pub fn start(self) -> SsmMock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mock = SsmMock {
            port,
            connections: Arc::new(AtomicUsize::new(0)),
            seen: Arc::new(Mutex::new(Vec::new())),
        };
        let (connections, seen) = (mock.connections.clone(), mock.seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let connection = connections.fetch_add(1, Ordering::SeqCst);
                let behaviour = Behaviour {
                    value: self.value.clone(),
                    reset: self.reset.clone(),
                    delay: self.delay.clone(),
                    answer: self.answer.clone(),
                    idle_close: self.idle_close,
                };
                let seen = seen.clone();
                std::thread::spawn(move || serve(stream, connection, &seen, &behaviour));
            }
        });
        mock
    }
}

/// A running mock; it serves until the test process ends.
pub struct SsmMock {
    port: u16,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl SsmMock {
    /// A mock whose values are `<label>:<name>`.
    pub fn builder(label: &str) -> SsmMockBuilder {
        let label = label.to_string();
        SsmMockBuilder {
            value: Arc::new(move |name| format!("{label}:{name}")),
            idle_close: None,
            reset: Arc::new(|_| false),
            delay: Arc::new(|_| None),
            answer: Arc::new(|_| None),
        }
    }

    /// A keep-alive mock with `<label>:<name>` values.
    pub fn start(label: &str) -> SsmMock {
        Self::builder(label).start()
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Requests read so far, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests read so far.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// One connection's share of the builder's settings.
struct Behaviour {
    value: Arc<Value>,
    reset: Arc<Reset>,
    delay: Arc<Delay>,
    answer: Arc<Override>,
    idle_close: Option<Duration>,
}

fn serve(mut stream: TcpStream, connection: usize, seen: &Mutex<Vec<Seen>>, how: &Behaviour) {
    let (idle_close, value) = (how.idle_close, &*how.value);
    let mut buffer = Vec::new();
    for on_connection in 0.. {
        // Between requests the connection is idle: that is when a server's idle timeout runs.
        let _ = stream.set_read_timeout(idle_close.filter(|_| on_connection > 0));
        let Some((head, body)) = read_request(&mut stream, &mut buffer) else {
            return; // closed by the client, idle too long, or broken: dropping it closes it
        };
        let header = |name: &str| {
            head.lines()
                .find_map(|l| {
                    l.split_once(':')
                        .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.trim().to_string())
                })
                .unwrap_or_default()
        };
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let names: Vec<String> = match (&request["Name"], &request["Names"]) {
            (serde_json::Value::String(name), _) => vec![name.clone()],
            (_, serde_json::Value::Array(names)) => names
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        let this = Seen {
            connection,
            on_connection,
            host: header("host"),
            target: header("x-amz-target"),
            names,
        };
        seen.lock().unwrap().push(this.clone());
        if (how.reset)(&this) {
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
            return; // dropped with linger 0: a reset, not a FIN
        }
        let parameter = |name: &String| serde_json::json!({"Name": name, "Type": "SecureString", "Value": value(name), "Version": 1});
        let reply = if this.target == "AmazonSSM.GetParameters" {
            serde_json::json!({
                "Parameters": this.names.iter().map(parameter).collect::<Vec<_>>(),
                "InvalidParameters": [],
            })
        } else {
            serde_json::json!({"Parameter": this.names.first().map(parameter)})
        };
        if let Some(delay) = (how.delay)(&this) {
            std::thread::sleep(delay);
        }
        let (status, body) = (how.answer)(&this).unwrap_or((200, reply.to_string()));
        let reason = if status == 200 { "OK" } else { "Error" };
        let out = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/x-amz-json-1.1\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(out.as_bytes()).is_err() || idle_close == Some(Duration::ZERO) {
            return;
        }
    }
}

/// One request's head and body; the bytes after it stay in `buffer`. `None` at EOF, on an
/// error, or when the read timeout passes before a request starts.
fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    let mut chunk = [0u8; 4096];
    let mut fill = |stream: &mut TcpStream, buffer: &mut Vec<u8>| match stream.read(&mut chunk) {
        Ok(0) => false,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            true
        }
        Err(e) if e.kind() == ErrorKind::Interrupted => true,
        Err(_) => false,
    };
    let header_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if !fill(stream, buffer) {
            return None;
        }
        // A request has started: no idle timeout while it arrives.
        let _ = stream.set_read_timeout(None);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
        })
        .unwrap_or(0);
    while buffer.len() < header_end + length {
        if !fill(stream, buffer) {
            return None;
        }
    }
    let body = buffer[header_end..header_end + length].to_vec();
    buffer.drain(..header_end + length);
    Some((head, body))
}
