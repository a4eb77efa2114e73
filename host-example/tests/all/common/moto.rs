//! moto's standalone server on a free loopback port, from the virtualenv `scripts/test.sh`
//! prepares (`$MOTO_VENV`, default `target/moto-venv`); stopped on drop.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn venv() -> PathBuf {
    let venv = std::env::var_os("MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/moto-venv"));
    assert!(
        venv.join("bin/moto_server").exists(),
        "moto is not installed in {}: run `bash scripts/test.sh`",
        venv.display()
    );
    venv
}

/// A moto server on a free loopback port, stopped on drop.
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

impl Moto {
    /// Starts moto and waits until it listens.
    pub fn start() -> Moto {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(venv().join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start listening");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `tests/moto/setup.py` against `moto`: stores `parameters` (`[{"name", "value",
/// "type"}]`) and creates the test users and role; returns the keys it prints.
pub fn setup(moto: &Moto, parameters: &serde_json::Value) -> serde_json::Value {
    let setup = Command::new(venv().join("bin/python"))
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/moto/setup.py"))
        .args([&moto.endpoint, &parameters.to_string()])
        .output()
        .unwrap();
    assert!(
        setup.status.success(),
        "{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    serde_json::from_slice(&setup.stdout).unwrap()
}
