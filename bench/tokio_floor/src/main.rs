//! tokio's floor: the ceiling peer's canned responder (one fixed response per "\r\n\r\n" read, nothing
//! parsed, TCP_NODELAY) written on tokio the way micro_http uses it: a current-thread runtime with the I/O
//! and time drivers, one task per connection, reads through the socket's readiness (`try_io`, a short read
//! clears it as micro_http's does, so there is no second `recv` per request), one `send` per batch.
//! Whatever this costs per request, any server on tokio pays at least; BENCHMARKS.md compares it.
//! Listens on 127.0.0.1:$PORT (default 8080).
use std::io::{self, ErrorKind};
use std::os::fd::AsRawFd;

use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
Server: floor\r\n\
Date: Thu, 01 Jan 2026 00:00:00 GMT\r\n\
Content-Type: text/plain\r\n\
Content-Length: 13\r\n\
\r\n\
Hello, World!";

const TERMINATOR: &[u8; 4] = b"\r\n\r\n";

/// Counts complete request terminators in `data`, carrying partial matches (the ceiling peer's rule).
fn count_requests(matched: &mut usize, data: &[u8]) -> usize {
    let mut n = 0;
    let mut m = *matched;
    for &b in data {
        if b == TERMINATOR[m] {
            m += 1;
            if m == TERMINATOR.len() {
                n += 1;
                m = 0;
            }
        } else {
            m = usize::from(b == b'\r');
        }
    }
    *matched = m;
    n
}

/// One read: `Ok(0)` at the end of the stream. A read that did not fill `buf` takes the readiness away (the
/// closure reports `WouldBlock` to tokio), so the next wait goes to the reactor instead of a `recv` that
/// would find nothing.
async fn read(stream: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    let fd = stream.as_raw_fd();
    loop {
        let mut got = None;
        let r = stream.try_io(Interest::READABLE, || {
            // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the duration of the call.
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                return Err(io::Error::last_os_error());
            }
            got = Some(n as usize);
            if (n as usize) < buf.len() && n > 0 {
                return Err(ErrorKind::WouldBlock.into());
            }
            Ok(n as usize)
        });
        match (r, got) {
            (_, Some(n)) => return Ok(n),
            (Err(e), None) if e.kind() == ErrorKind::WouldBlock => stream.readable().await?,
            (Err(e), None) if e.kind() == ErrorKind::Interrupted => {}
            (Err(e), None) => return Err(e),
            (Ok(n), None) => return Ok(n),
        }
    }
}

async fn write_all(stream: &TcpStream, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match stream.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => stream.writable().await?,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn connection(stream: TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 8 * 1024];
    let mut out = Vec::with_capacity(16 * RESPONSE.len());
    let mut matched = 0;
    loop {
        let n = read(&stream, &mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        for _ in 0..count_requests(&mut matched, &buf[..n]) {
            out.extend_from_slice(RESPONSE);
        }
        if !out.is_empty() {
            write_all(&stream, &out).await?;
            out.clear();
        }
    }
}

fn main() -> io::Result<()> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        loop {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tokio::spawn(async move {
                let _ = connection(stream).await;
            });
        }
    })
}
