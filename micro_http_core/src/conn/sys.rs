//! A socket's `recv` and `send` as the kernel's own calls, without the C library's wrappers.
//!
//! glibc's `recv` and `send` are POSIX cancellation points: each call switches the thread's asynchronous
//! cancellation on before the system call and off after it (two atomic read-modify-writes and their checks,
//! ~30 instructions per call, twice per request). Rust never cancels a thread, so on Linux (x86-64 and AArch64,
//! where both calls have their own numbers) they go through `syscall(2)`, which is not a cancellation point;
//! everywhere else through socket2, as before.
//! BENCHMARKS.md has what it saved.

pub(super) use imp::{recv, send};

#[cfg(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod imp {
    use std::io;
    use std::mem::MaybeUninit;
    use std::os::fd::AsRawFd;

    use tokio::net::TcpStream;

    /// Receives into `dst` without waiting: the count received (0 at the end of the stream) or the error
    /// (`WouldBlock` when nothing has arrived).
    pub(in super::super) fn recv(io: &TcpStream, dst: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        let fd = libc::c_long::from(io.as_raw_fd());
        retried(|| {
            // SAFETY: `recvfrom(fd, buf, len, flags, NULL, NULL)` writes at most `len` bytes to `buf`, which is
            // `dst`, valid for writes of `dst.len()` bytes (uninitialised memory may be written); the null
            // address arguments ask for no sender address. `fd` is the open socket `io` owns, borrowed for the
            // call.
            #[allow(unsafe_code)]
            unsafe {
                libc::syscall(
                    libc::SYS_recvfrom,
                    fd,
                    dst.as_mut_ptr(),
                    dst.len(),
                    0 as libc::c_long,
                    std::ptr::null_mut::<libc::sockaddr>(),
                    std::ptr::null_mut::<libc::socklen_t>(),
                )
            }
        })
    }

    /// Sends what the socket takes of `src` now (`WouldBlock` when it takes nothing), with `MSG_NOSIGNAL`, as
    /// std sends: a peer gone away is an error (`BrokenPipe`), not a `SIGPIPE`.
    pub(in super::super) fn send(io: &TcpStream, src: &[u8]) -> io::Result<usize> {
        let fd = libc::c_long::from(io.as_raw_fd());
        retried(|| {
            // SAFETY: `sendto(fd, buf, len, flags, NULL, 0)` reads at most `len` bytes from `buf`, which is
            // `src`, valid for reads of `src.len()` bytes; a connected socket takes no address. `fd` is the open
            // socket `io` owns, borrowed for the call.
            #[allow(unsafe_code)]
            unsafe {
                libc::syscall(
                    libc::SYS_sendto,
                    fd,
                    src.as_ptr(),
                    src.len(),
                    libc::c_long::from(libc::MSG_NOSIGNAL),
                    std::ptr::null::<libc::sockaddr>(),
                    0 as libc::c_long,
                )
            }
        })
    }

    /// A system call's count, or its error from `errno`; an interrupted call is made again.
    #[inline(always)]
    fn retried(mut call: impl FnMut() -> libc::c_long) -> io::Result<usize> {
        loop {
            if let Ok(n) = usize::try_from(call()) {
                return Ok(n);
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }
}

/// Elsewhere: socket2's, through the C library (as std and mio call it there).
#[cfg(not(all(
    target_os = "linux",
    any(target_arch = "x86_64", target_arch = "aarch64")
)))]
mod imp {
    use std::io;
    use std::mem::MaybeUninit;

    use tokio::net::TcpStream;

    pub(in super::super) fn recv(io: &TcpStream, dst: &mut [MaybeUninit<u8>]) -> io::Result<usize> {
        socket2::SockRef::from(io).recv(dst)
    }

    pub(in super::super) fn send(io: &TcpStream, src: &[u8]) -> io::Result<usize> {
        socket2::SockRef::from(io).send(src)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{self, Read, Write};
    use std::mem::MaybeUninit;
    use tokio::net::TcpStream;

    /// A connected pair: the tokio end (non-blocking) and a blocking std end.
    async fn pair() -> (TcpStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        client
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        (TcpStream::from_std(server).unwrap(), client)
    }

    fn uninit(n: usize) -> Vec<MaybeUninit<u8>> {
        vec![MaybeUninit::uninit(); n]
    }

    /// `call`'s first answer that is not `WouldBlock`, trying for up to a second (loopback delivers at once, but
    /// the test does not count on it).
    fn once_ready<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
        for _ in 0..500 {
            match call() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(2))
                }
                r => return r,
            }
        }
        panic!("still WouldBlock after a second");
    }

    #[tokio::test]
    async fn nothing_yet_is_would_block_then_bytes_then_the_end() {
        let (server, mut client) = pair().await;
        let mut dst = uninit(16);
        let e = recv(&server, &mut dst).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        client.write_all(b"hello").unwrap();
        // (What the bytes are is checked through `tcp_try_read`, which commits them into a buffer: transport.rs.)
        assert_eq!(once_ready(|| recv(&server, &mut dst)).unwrap(), 5);
        // A buffer shorter than what is waiting takes only its length.
        client.write_all(b"0123456789").unwrap();
        let mut two = uninit(2);
        assert_eq!(once_ready(|| recv(&server, &mut two)).unwrap(), 2);
        drop(client);
        let mut rest = uninit(64);
        let mut total = 0;
        for _ in 0..100 {
            match once_ready(|| recv(&server, &mut rest)).unwrap() {
                0 => break,
                n => total += n,
            }
        }
        assert_eq!(total, 8, "the rest, then the end of the stream");
    }

    #[tokio::test]
    async fn sends_what_the_socket_takes_and_a_closed_peer_is_an_error_not_a_signal() {
        let (server, mut client) = pair().await;
        assert_eq!(send(&server, b"pong").unwrap(), 4);
        let mut got = [0u8; 4];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"pong");
        // Fill the socket until it takes nothing: WouldBlock, not a wait.
        let chunk = vec![1u8; 1 << 16];
        let mut sent = 0usize;
        let blocked = loop {
            match send(&server, &chunk) {
                Ok(n) => sent += n,
                Err(e) => break e,
            }
            assert!(sent < 1 << 30, "the socket never filled");
        };
        assert_eq!(blocked.kind(), io::ErrorKind::WouldBlock);
        // The peer goes away without reading: sending fails (reset or broken pipe), and the process lives on.
        drop(client);
        let mut failed = None;
        for _ in 0..500 {
            match send(&server, b"x") {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    std::thread::sleep(std::time::Duration::from_millis(2))
                }
                Err(e) => {
                    failed = Some(e);
                    break;
                }
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(2)),
            }
        }
        let e = failed.expect("sending to a closed peer kept succeeding");
        assert!(
            matches!(
                e.kind(),
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
            ),
            "{e}"
        );
    }
}
