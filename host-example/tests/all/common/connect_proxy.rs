//! A loopback HTTP proxy for the tests: it records each request's first line and its
//! `Proxy-Authorization`, answers `CONNECT host:port` by opening a tunnel there, forwards a
//! plain absolute-form request (`GET http://host:port/...`) to its host, and, when made with
//! [`ConnectProxy::requiring`], answers 407 to anyone without the right credentials.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the proxy saw of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySeen {
    /// `CONNECT localhost:1234 HTTP/1.1`, or `POST http://... HTTP/1.1`.
    pub line: String,
    /// The `Proxy-Authorization` header, if any.
    pub authorization: Option<String>,
}

/// A running proxy; it serves until the test process ends.
pub struct ConnectProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<ProxySeen>>>,
}

impl ConnectProxy {
    /// A proxy that lets everyone through.
    pub fn start() -> ConnectProxy {
        Self::with(None)
    }

    /// A proxy that wants `Proxy-Authorization: <authorization>`.
    pub fn requiring(authorization: &str) -> ConnectProxy {
        Self::with(Some(authorization.to_string()))
    }

    fn with(required: Option<String>) -> ConnectProxy {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = Arc::clone(&seen);
        let addr = super::loopback_server(move |client| {
            serve(client, Arc::clone(&record), required.clone())
        });
        ConnectProxy { addr, seen }
    }

    /// `http://127.0.0.1:<port>`, with `userinfo@` when given.
    pub fn url(&self, userinfo: Option<&str>) -> String {
        match userinfo {
            Some(user) => format!("http://{user}@{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<ProxySeen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut client: TcpStream,
    record: Arc<Mutex<Vec<ProxySeen>>>,
    required: Option<String>,
) {
    let Some((head, rest)) = read_head(&mut client).await else {
        return;
    };
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_string();
    let authorization = lines.find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("proxy-authorization")
            .then(|| value.trim().to_string())
    });
    record.lock().unwrap().push(ProxySeen {
        line: line.clone(),
        authorization: authorization.clone(),
    });
    if required.is_some() && authorization != required {
        let _ = client
            .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await;
        return;
    }
    let mut parts = line.split(' ');
    let (method, target) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    if method == "CONNECT" {
        let Ok(mut upstream) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        let _ = client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await;
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    // Absolute form: pass the request on as it came (the test servers read absolute forms).
    let authority = target
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    let Ok(mut upstream) = TcpStream::connect(authority).await else {
        return;
    };
    let _ = upstream.write_all(head.as_bytes()).await;
    let _ = upstream.write_all(b"\r\n\r\n").await;
    let _ = upstream.write_all(&rest).await;
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// The request head (up to the blank line) and whatever was read past it.
async fn read_head(client: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            return Some((head, buffer[end + 4..].to_vec()));
        }
    }
}
