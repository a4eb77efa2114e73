//! The network upstream keeps connections alive: warm lookups reuse one connection, within a
//! session, across sessions and across threads; connections are never shared between
//! endpoints; a connection the server drops is replaced without a wrong answer; `https` goes
//! through TLS with the host as SNI. Real loopback servers on 127.0.0.1
//! (tests/all/common/ssm_mock.rs) count the connections they accept.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::ssm_mock::SsmMock;
use host_example::{Session, SessionOptions, Upstream};

fn session(endpoint_url: &str) -> Session {
    let kwargs = serde_json::json!({"endpoint_url": endpoint_url, "region_name": "eu-west-1"});
    let options = SessionOptions::new(Upstream::Network)
        .env("AWS_ACCESS_KEY_ID", "AKIDPOOL")
        .env("AWS_SECRET_ACCESS_KEY", "pool-secret-key");
    Session::open(common::runtime(), &kwargs.to_string(), options).unwrap()
}

fn lookup(session: &mut Session, key: &str) -> String {
    session.get_variable(key, None).unwrap().unwrap()
}

#[test]
fn a_kept_alive_connection_is_reused() {
    let mock = SsmMock::start("reuse");
    let mut first = session(&mock.url());
    for i in 0..20 {
        let key = format!("k{i}");
        assert_eq!(
            lookup(&mut first, &key),
            format!("reuse:/airflow/variables/{key}")
        );
    }
    assert_eq!(mock.requests(), 20);
    assert_eq!(
        mock.connections(),
        1,
        "20 lookups in one session, one connection"
    );

    // Another session of the same process, on the same thread...
    let mut second = session(&mock.url());
    for i in 0..20 {
        assert_eq!(
            lookup(&mut second, "again"),
            "reuse:/airflow/variables/again",
            "{i}"
        );
    }
    drop((first, second));
    // ...and one on another thread, after the first thread's sessions are gone.
    let url = mock.url();
    std::thread::spawn(move || {
        let mut third = session(&url);
        assert_eq!(
            lookup(&mut third, "there"),
            "reuse:/airflow/variables/there"
        );
    })
    .join()
    .unwrap();
    assert_eq!(mock.requests(), 41);
    assert_eq!(
        mock.connections(),
        1,
        "every session of the process shares it"
    );
    assert!(mock.seen().iter().all(|s| s.connection == 0));
}

#[test]
fn concurrent_sessions_use_connections_of_their_own_and_keep_them() {
    let mock = SsmMock::start("many");
    let url = mock.url();
    let threads: Vec<_> = (0..3)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut s = session(&url);
                for i in 0..10 {
                    let key = format!("t{t}k{i}");
                    assert_eq!(
                        lookup(&mut s, &key),
                        format!("many:/airflow/variables/{key}")
                    );
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(mock.requests(), 30);
    // In flight at once they need a connection each; idle, they are kept (at most 8 each).
    assert!(
        (1..=3).contains(&mock.connections()),
        "{} connections",
        mock.connections()
    );
    let before = mock.connections();
    let mut s = session(&url);
    assert_eq!(lookup(&mut s, "later"), "many:/airflow/variables/later");
    assert_eq!(
        mock.connections(),
        before,
        "a kept connection serves the next lookup"
    );
}

#[test]
fn connections_are_never_shared_across_endpoints() {
    let a = SsmMock::start("a");
    let b = SsmMock::start("b");
    let mut to_a = session(&a.url());
    let mut to_b = session(&b.url());
    for i in 0..10 {
        let key = format!("k{i}");
        assert_eq!(
            lookup(&mut to_a, &key),
            format!("a:/airflow/variables/{key}")
        );
        assert_eq!(
            lookup(&mut to_b, &key),
            format!("b:/airflow/variables/{key}")
        );
    }
    // Same port, another host name: the policy tells them apart, so does the pool.
    let by_name = format!("http://localhost:{}", a.port());
    let mut to_a_by_name = session(&by_name);
    for _ in 0..5 {
        assert_eq!(lookup(&mut to_a_by_name, "n"), "a:/airflow/variables/n");
    }
    assert_eq!(b.connections(), 1);
    assert_eq!(b.requests(), 10);
    assert!(
        b.seen()
            .iter()
            .all(|s| s.host == format!("127.0.0.1:{}", b.port()))
    );
    assert_eq!(a.connections(), 2, "one per host name");
    assert_eq!(a.requests(), 15);
    for seen in a.seen() {
        let want = if seen.connection == 0 {
            format!("127.0.0.1:{}", a.port())
        } else {
            format!("localhost:{}", a.port())
        };
        assert_eq!(seen.host, want, "{seen:?}");
    }
}

#[test]
fn a_connection_closed_while_idle_is_replaced() {
    // The server's idle timeout is 100 ms; the lookups are 300 ms apart.
    let mock = SsmMock::builder("idle")
        .idle_close(Duration::from_millis(100))
        .start();
    let mut s = session(&mock.url());
    for i in 0..3 {
        assert_eq!(lookup(&mut s, "v"), "idle:/airflow/variables/v", "{i}");
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(mock.requests(), 3, "no attempt failed");
    assert_eq!(mock.connections(), 3);
}

#[test]
fn a_server_that_closes_after_every_reply_still_gets_right_answers() {
    // The close races the next request: hyper either notices it before writing (the request
    // goes out on a fresh connection) or after (the component retries). Never a wrong value.
    let mock = SsmMock::builder("race").idle_close(Duration::ZERO).start();
    let mut s = session(&mock.url());
    for i in 0..20 {
        let key = format!("k{i}");
        assert_eq!(
            lookup(&mut s, &key),
            format!("race:/airflow/variables/{key}")
        );
    }
    let requests = mock.requests();
    assert!((20..=40).contains(&requests), "{requests} requests");
    for seen in mock.seen() {
        assert_eq!(
            seen.on_connection, 0,
            "every connection carried one request"
        );
    }
}

#[test]
fn a_reset_on_a_reused_connection_is_retried() {
    // The second request on the first connection is read, then the connection is reset.
    let mock = SsmMock::builder("rst")
        .reset_when(|seen| seen.connection == 0 && seen.on_connection == 1)
        .start();
    let mut s = session(&mock.url());
    assert_eq!(lookup(&mut s, "one"), "rst:/airflow/variables/one");
    assert_eq!(lookup(&mut s, "two"), "rst:/airflow/variables/two");
    let seen = mock.seen();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!((seen[1].connection, seen[1].on_connection), (0, 1));
    assert_eq!(seen[1].names, seen[2].names, "the same request again");
    assert_eq!(seen[2].connection, 1);
    assert_eq!(mock.connections(), 2);
}

#[test]
fn https_goes_through_tls_with_the_host_name_as_sni() {
    // A loopback server that is not TLS: it keeps the ClientHello and answers in plain HTTP.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hellos = Arc::new(Mutex::new(Vec::new()));
    let accepted = Arc::new(AtomicUsize::new(0));
    let (h, a) = (hellos.clone(), accepted.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            a.fetch_add(1, Ordering::SeqCst);
            let mut hello = vec![0u8; 4096];
            let n = stream.read(&mut hello).unwrap_or(0);
            h.lock().unwrap().push(hello[..n].to_vec());
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        }
    });
    let mut s = session(&format!("https://localhost:{port}"));
    let error = s.get_variable("v", None).unwrap_err().to_string();
    assert!(error.contains("TLS failed"), "{error}");
    // A TLS failure is not retried (as with wasmtime-wasi-http's default sender).
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    let hellos = hellos.lock().unwrap();
    let hello = &hellos[0];
    assert_eq!(hello[0], 0x16, "a TLS handshake record");
    assert!(
        hello.windows(b"localhost".len()).any(|w| w == b"localhost"),
        "SNI names the host"
    );
}
