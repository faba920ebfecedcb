//! A raw-socket HTTP/1.1 client that parses responses strictly (status line, header syntax, framing), for
//! protocol tests. Shared by the core's tests and the facade's end-to-end tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

/// A parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A raw client connection with a read buffer.
pub struct Client {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

const IO_LIMIT: Duration = Duration::from_secs(5);

impl Client {
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).unwrap();
        Client {
            stream,
            buf: Vec::new(),
        }
    }

    /// Bytes received but not yet parsed as part of a response.
    pub fn leftover(&self) -> &[u8] {
        &self.buf
    }

    pub async fn send(&mut self, bytes: impl AsRef<[u8]>) {
        write_all(&self.stream, bytes.as_ref())
            .await
            .expect("write");
    }

    async fn fill(&mut self) -> usize {
        let mut tmp = [0u8; 16 * 1024];
        let n = tokio::time::timeout(IO_LIMIT, read(&self.stream, &mut tmp))
            .await
            .expect("server did not answer in time")
            .unwrap_or(0);
        self.buf.extend_from_slice(&tmp[..n]);
        n
    }

    /// Reads one response; `head_only` for responses to HEAD.
    pub async fn read_response(&mut self, head_only: bool) -> Resp {
        self.try_read_response(head_only)
            .await
            .expect("connection closed before a response")
    }

    pub async fn try_read_response(&mut self, head_only: bool) -> Option<Resp> {
        let end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            if self.fill().await == 0 {
                return None;
            }
        };
        let head = String::from_utf8(self.buf[..end].to_vec()).expect("response head is UTF-8");
        self.buf.drain(..end);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        assert!(
            status_line.starts_with("HTTP/1.1 "),
            "bad status line {status_line:?}"
        );
        let status: u16 = status_line[9..12].parse().unwrap();
        let mut headers = Vec::new();
        for line in lines.filter(|l| !l.is_empty()) {
            let (n, v) = line.split_once(':').expect("header line has a colon");
            assert!(!n.contains(' '), "space in header name {n:?}");
            headers.push((n.to_string(), v.trim().to_string()));
        }
        let mut resp = Resp {
            status,
            headers,
            body: Vec::new(),
        };
        if head_only || status < 200 || status == 204 || status == 304 {
            return Some(resp);
        }
        if let Some(len) = resp.header("content-length") {
            assert!(
                resp.header("transfer-encoding").is_none(),
                "both CL and TE in a response"
            );
            let len: usize = len.parse().unwrap();
            while self.buf.len() < len {
                assert!(self.fill().await > 0, "closed mid-body");
            }
            resp.body = self.buf.drain(..len).collect();
        } else if resp.header("transfer-encoding") == Some("chunked") {
            loop {
                let line_end = loop {
                    if let Some(p) = find(&self.buf, b"\r\n") {
                        break p;
                    }
                    assert!(self.fill().await > 0, "closed mid-chunk");
                };
                let size =
                    usize::from_str_radix(std::str::from_utf8(&self.buf[..line_end]).unwrap(), 16)
                        .unwrap();
                self.buf.drain(..line_end + 2);
                while self.buf.len() < size + 2 {
                    assert!(self.fill().await > 0, "closed mid-chunk");
                }
                resp.body.extend(self.buf.drain(..size));
                assert_eq!(&self.buf[..2], b"\r\n");
                self.buf.drain(..2);
                if size == 0 {
                    break;
                }
            }
        } else {
            while self.fill().await > 0 {}
            resp.body = std::mem::take(&mut self.buf);
        }
        Some(resp)
    }

    /// `true` if the server closed the connection (EOF within the time limit, with nothing more sent).
    pub async fn is_closed(&mut self) -> bool {
        let mut tmp = [0u8; 1024];
        match tokio::time::timeout(IO_LIMIT, read(&self.stream, &mut tmp)).await {
            Ok(Ok(0)) | Ok(Err(_)) => true,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&tmp[..n]);
                false
            }
            Err(_) => false,
        }
    }
}

// The socket is read and written with tokio's `net` feature alone: the facade's tests include this client, and
// its dev-dependencies (built for its examples too) leave out `io-util`.

/// Reads what has arrived, waiting until something has (`AsyncReadExt::read`).
async fn read(stream: &TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        stream.readable().await?;
        match stream.try_read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            r => return r,
        }
    }
}

/// Writes all of `data` (`AsyncWriteExt::write_all`).
async fn write_all(stream: &TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        stream.writable().await?;
        match stream.try_write(data) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends `raw` on a new connection and reads one response.
pub async fn exchange(addr: SocketAddr, raw: impl AsRef<[u8]>) -> Resp {
    let mut c = Client::connect(addr).await;
    c.send(raw).await;
    c.read_response(false).await
}

pub fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n")
}
