//! A tiny blocking W3C WebDriver client for `tests/browser.rs`: a chromedriver child process (killed on drop, also
//! on panic), one HTTP/1.1 request per connection over `std::net::TcpStream`, JSON through `serde_json`.
//! Every call is bounded: by its own timeout and by the deadline of the whole test.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a single WebDriver call may take (a click that submits a form includes the page load).
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// `name` on `PATH`, or `None`.
pub fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A running `chromedriver --port=<free port>`; killed when dropped.
pub struct Chromedriver {
    child: Child,
    addr: SocketAddr,
    deadline: Instant,
}

impl Chromedriver {
    /// Spawns chromedriver and waits (up to 10 s) until `/status` says it is ready.
    pub fn start(exe: &Path, log: &Path, deadline: Instant) -> Chromedriver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(exe)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let driver = Chromedriver {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            deadline,
        };
        let ready_by = Instant::now() + Duration::from_secs(10);
        loop {
            let status = http(driver.addr, "GET", "/status", None, Duration::from_secs(1));
            if matches!(&status, Ok((200, v)) if v["value"]["ready"] == true) {
                return driver;
            }
            assert!(
                Instant::now() < ready_by,
                "chromedriver not ready after 10 s: {status:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `POST /session`; the session is deleted (and Chrome quits) when the returned value is dropped.
    pub fn new_session(&self, capabilities: Value) -> Session<'_> {
        let v = self.call(
            "POST",
            "/session",
            Some(json!({ "capabilities": { "alwaysMatch": capabilities } })),
        );
        let id = v["sessionId"].as_str().expect("sessionId").to_string();
        Session { driver: self, id }
    }

    /// One command; panics with WebDriver's error on failure. Returns the response's `value`.
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let left = self.deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "test deadline passed before {method} {path}"
        );
        match http(
            self.addr,
            method,
            path,
            body.as_ref(),
            CALL_TIMEOUT.min(left),
        ) {
            Ok((200, mut v)) => v["value"].take(),
            Ok((status, v)) => panic!("{method} {path}: HTTP {status}: {}", v["value"]),
            Err(e) => panic!("{method} {path}: {e}"),
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A WebDriver session (one Chrome).
pub struct Session<'d> {
    driver: &'d Chromedriver,
    id: String,
}

impl Session<'_> {
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
    }

    pub fn goto(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs `script` (a function body: `return ...;`) in the page.
    pub fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// The element matching a CSS selector (panics if there is none).
    pub fn find(&self, css: &str) -> Element<'_> {
        let v = self.cmd(
            "POST",
            "/element",
            Some(json!({ "using": "css selector", "value": css })),
        );
        // `{"element-6066-11e4-a52e-4f735466cecf": "<id>"}`
        let id = v
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str);
        Element {
            session: self,
            id: id.expect("element reference").to_string(),
        }
    }

    /// Polls `script` (returning a boolean) every 50 ms until it is true; panics after `timeout`.
    pub fn wait_until(&self, what: &str, script: &str, timeout: Duration) {
        let until = Instant::now() + timeout;
        while self.js(script) != true {
            assert!(
                Instant::now() < until,
                "timed out after {timeout:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A PNG of the viewport, written to `path`.
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.cmd("GET", "/screenshot", None);
        let png = base64_decode(b64.as_str().expect("base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        // Best effort, even while panicking: quit Chrome before chromedriver is killed.
        let path = format!("/session/{}", self.id);
        let _ = http(
            self.driver.addr,
            "DELETE",
            &path,
            None,
            Duration::from_secs(5),
        );
    }
}

pub struct Element<'s> {
    session: &'s Session<'s>,
    id: String,
}

impl Element<'_> {
    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.session
            .cmd(method, &format!("/element/{}/{what}", self.id), body)
    }

    /// Types `text`; for `<input type=file>` the text is a local file path.
    pub fn send_keys(&self, text: &str) {
        self.cmd("POST", "value", Some(json!({ "text": text })));
    }

    pub fn click(&self) {
        self.cmd("POST", "click", Some(json!({})));
    }

    /// The rendered text.
    pub fn text(&self) -> String {
        self.cmd("GET", "text", None)
            .as_str()
            .expect("text")
            .to_string()
    }
}

/// One HTTP/1.1 exchange (`Connection: close`): the status and the JSON body.
fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    timeout: Duration,
) -> Result<(u16, Value), String> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|_| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()))
        .map_err(|e| format!("write: {e}"))?;
    // chromedriver answers `Connection: close` but may keep the socket open: read the head, then Content-Length bytes.
    let mut response = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let (status, body) = loop {
        let n = stream
            .read(&mut buf)
            .map_err(|e| format!("read (timeout {timeout:?}): {e}"))?;
        response.extend_from_slice(&buf[..n]);
        if let Some(end) = response.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&response[..end]).to_ascii_lowercase();
            let status: u16 = head
                .split(' ')
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or("bad status line")?;
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("no Content-Length")?;
            let mut body = response.split_off(end + 4);
            while body.len() < length {
                let n = stream
                    .read(&mut buf)
                    .map_err(|e| format!("read (timeout {timeout:?}): {e}"))?;
                if n == 0 {
                    return Err("connection closed mid-body".into());
                }
                body.extend_from_slice(&buf[..n]);
            }
            break (status, body);
        }
        if n == 0 {
            return Err("connection closed before the end of the head".into());
        }
    };
    let body = String::from_utf8(body).map_err(|e| e.to_string())?;
    let json = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&body).map_err(|e| format!("{e}: {body}"))?
    };
    Ok((status, json))
}

/// Standard base64 (with padding), as in WebDriver's screenshots.
fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut bits) = (Vec::with_capacity(s.len() * 3 / 4), 0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=' && !c.is_ascii_whitespace()) {
        let d = ALPHABET.iter().position(|&a| a == c).expect("base64 digit") as u32;
        acc = (acc << 6) | d;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}
