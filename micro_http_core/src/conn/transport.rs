//! How the connection loop reaches its stream beyond `AsyncRead` and `AsyncWrite`: for a tokio `TcpStream`, its
//! readiness and non-blocking calls; for any other stream (tests, the in-process client), the poll methods.
//!
//! A socket's reads and writes go through tokio's readiness (`try_io`) rather than `poll_read`/`poll_write`: the
//! readiness is one atomic load, with no cooperative-budget step and no waker check while the socket is ready,
//! and the connection registers its waker (`poll_read_ready`) only when there is nothing to read. What tokio's
//! `poll_read` does after a short read, taking the readiness away so that the next wait does not begin with a
//! read that would block, is done here the same way (BENCHMARKS.md has what it saved).
//!
//! Reads go straight into the connection buffer's spare capacity, as tokio's io-util `read_buf` does (see
//! [`commit`]); the generic `read_buf`, `write` and `shutdown` below stand in for io-util's `AsyncReadExt` and
//! `AsyncWriteExt`, which this crate does without.

use std::future::poll_fn;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, Interest, ReadBuf};
use tokio::net::TcpStream;

use super::sys;

/// [`Transport::ready`].
type ReadyFn<S> = fn(&S, &mut Context<'_>) -> Poll<io::Result<()>>;
/// [`Transport::try_read`].
type TryReadFn<S> = fn(&S, &mut BytesMut) -> io::Result<Option<usize>>;
/// [`Transport::try_write`].
type TryWriteFn<S> = fn(&S, &[u8]) -> io::Result<usize>;

/// The stream's extra operations, as plain functions so the connection future stays generic over the stream.
pub(crate) struct Transport<S> {
    /// Polls for read readiness without reading: always ready for a stream that cannot tell (its read buffer is
    /// then allocated before the read waits).
    pub(crate) ready: ReadyFn<S>,
    /// Reads what has arrived into the buffer's spare capacity without waiting (`Ok(None)`: nothing yet);
    /// `None`: the stream is read with `poll_read`.
    pub(crate) try_read: Option<TryReadFn<S>>,
    /// Writes what the stream takes now without waiting (`WouldBlock`: nothing); `None`: `poll_write` with a
    /// no-op waker.
    pub(crate) try_write: Option<TryWriteFn<S>>,
}

impl<S> Clone for Transport<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Transport<S> {}

impl<S> Transport<S> {
    /// For a stream known only by its `AsyncRead` and `AsyncWrite`.
    pub(crate) fn plain() -> Self {
        Transport {
            ready: |_, _| Poll::Ready(Ok(())),
            try_read: None,
            try_write: None,
        }
    }
}

impl Transport<TcpStream> {
    /// For a tokio socket.
    pub(crate) fn tcp() -> Self {
        Transport {
            ready: TcpStream::poll_read_ready,
            try_read: Some(tcp_try_read),
            try_write: Some(tcp_try_write),
        }
    }
}

/// Makes sure `buf` has spare capacity: a full buffer gets 64 bytes more, as tokio's `read_buf` does, so that a
/// read never looks like the end of the stream.
fn spare(buf: &mut BytesMut) -> &mut [MaybeUninit<u8>] {
    if buf.capacity() == buf.len() {
        buf.reserve(64);
    }
    buf.spare_capacity_mut()
}

/// Counts the first `n` bytes of `buf`'s spare capacity as read.
///
/// One of the crate's three `unsafe` blocks (the others are in `sys.rs`). Reading into the spare capacity and
/// then extending the length is what tokio's `read_buf`/`try_read_buf` do; they are behind its `io-util`
/// feature, which made tokio the slowest crate of a clean build (BENCHMARKS.md, "Build time"). The safe alternative, reading into an initialised per-thread
/// scratch and copying, was measured at +113 instructions per request (3%; cost.sh `--conns 1`).
#[allow(unsafe_code)]
fn commit(buf: &mut BytesMut, n: usize) {
    assert!(
        n <= buf.capacity() - buf.len(),
        "read past the spare capacity"
    );
    // SAFETY: the callers pass the count of bytes a read wrote to the start of `buf.spare_capacity_mut()`
    // (`recv` into it, or the filled part of a `ReadBuf` over it, checked to still be that memory), so the first
    // `n` bytes past the length are initialised; the assertion keeps them within the allocation.
    unsafe { buf.set_len(buf.len() + n) };
}

/// One non-blocking read into `buf`'s spare capacity. A read that does not fill it takes the socket's read
/// readiness away (as `poll_read` does): the closure reports it as `WouldBlock`, which makes `try_io` clear the
/// readiness it saw, and the count is handed out beside it.
fn tcp_try_read(io: &TcpStream, buf: &mut BytesMut) -> io::Result<Option<usize>> {
    let dst = spare(buf);
    let want = dst.len();
    let mut short = None;
    let mut tried = false;
    let r = io.try_io(Interest::READABLE, || {
        tried = true;
        let n = sys::recv(io, dst)?;
        if n > 0 && n < want {
            short = Some(n);
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    });
    let n = match (short, r) {
        (Some(n), _) | (None, Ok(n)) => n,
        // Not ready: tokio refused without calling the closure (no need to ask the error its kind).
        (None, Err(_)) if !tried => return Ok(None),
        (None, Err(e)) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
        (None, Err(e)) => return Err(e),
    };
    commit(buf, n);
    Ok(Some(n))
}

/// One non-blocking write of what the socket takes of `data` (`TcpStream::try_write` with [`sys::send`]).
fn tcp_try_write(io: &TcpStream, data: &[u8]) -> io::Result<usize> {
    io.try_io(Interest::WRITABLE, || sys::send(io, data))
}

/// Reads what `io` has into `buf`'s spare capacity, waiting until something arrives; `Ok(0)` at the end of the
/// stream. (`AsyncReadExt::read_buf` without io-util.)
pub(crate) async fn read_buf<S: AsyncRead + Unpin>(
    io: &mut S,
    buf: &mut BytesMut,
) -> io::Result<usize> {
    poll_fn(|cx| poll_read_buf(io, cx, buf)).await
}

/// [`read_buf`] as a poll function.
pub(crate) fn poll_read_buf<S: AsyncRead + Unpin>(
    io: &mut S,
    cx: &mut Context<'_>,
    buf: &mut BytesMut,
) -> Poll<io::Result<usize>> {
    let dst = spare(buf);
    let start = dst.as_ptr();
    let mut filled = ReadBuf::uninit(dst);
    std::task::ready!(Pin::new(&mut *io).poll_read(cx, &mut filled))?;
    // A `poll_read` could swap in a buffer of its own; then its count says nothing about ours.
    assert!(
        std::ptr::eq(filled.filled().as_ptr(), start.cast()),
        "poll_read replaced the read buffer"
    );
    let n = filled.filled().len();
    commit(buf, n);
    Poll::Ready(Ok(n))
}

/// Writes what `io` takes of `data`, waiting until it takes something. (`AsyncWriteExt::write`.)
pub(crate) async fn write<S: AsyncWrite + Unpin>(io: &mut S, data: &[u8]) -> io::Result<usize> {
    poll_fn(|cx| Pin::new(&mut *io).poll_write(cx, data)).await
}

/// Shuts down the writing half of `io`. (`AsyncWriteExt::shutdown`.)
pub(crate) async fn shutdown<S: AsyncWrite + Unpin>(io: &mut S) -> io::Result<()> {
    poll_fn(|cx| Pin::new(&mut *io).poll_shutdown(cx)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::AsyncWriteExt;

    async fn pair() -> (TcpStream, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (accepted.unwrap().0, client.unwrap())
    }

    /// Waits, bounded, until the socket reports read readiness.
    async fn readable(t: &Transport<TcpStream>, io: &TcpStream) {
        let ready = std::future::poll_fn(|cx| (t.ready)(io, cx));
        tokio::time::timeout(Duration::from_secs(5), ready)
            .await
            .expect("never readable")
            .unwrap();
    }

    #[tokio::test]
    async fn reads_what_arrived_and_a_short_read_takes_the_readiness_away() {
        let t = Transport::tcp();
        let try_read = t.try_read.unwrap();
        let (server, mut client) = pair().await;
        let mut buf = BytesMut::with_capacity(64);
        // Nothing sent: nothing to read, and no system call needed to say so.
        assert_eq!(try_read(&server, &mut buf).unwrap(), None);
        client.write_all(b"hello").await.unwrap();
        readable(&t, &server).await;
        assert_eq!(try_read(&server, &mut buf).unwrap(), Some(5));
        assert_eq!(&buf[..], b"hello");
        // The short read cleared the readiness: the next wait registers at once instead of reading again.
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        assert!((t.ready)(&server, &mut cx).is_pending());
        // More bytes make it ready again, and they are appended.
        client.write_all(b", world").await.unwrap();
        readable(&t, &server).await;
        assert_eq!(try_read(&server, &mut buf).unwrap(), Some(7));
        assert_eq!(&buf[..], b"hello, world");
    }

    #[tokio::test]
    async fn a_full_read_keeps_the_readiness_and_the_rest_follows() {
        let t = Transport::tcp();
        let try_read = t.try_read.unwrap();
        let (server, mut client) = pair().await;
        client.write_all(&[7u8; 100]).await.unwrap();
        readable(&t, &server).await;
        let mut buf = BytesMut::with_capacity(64);
        let cap = buf.capacity();
        assert_eq!(try_read(&server, &mut buf).unwrap(), Some(cap));
        // The buffer was filled: more may be waiting, so the socket still counts as readable.
        buf.reserve(256);
        assert_eq!(try_read(&server, &mut buf).unwrap(), Some(100 - cap));
        assert!(buf.iter().all(|&b| b == 7));
    }

    #[tokio::test]
    async fn the_generic_read_appends_what_arrived_and_zero_at_the_end() {
        let (mut server, mut client) = tokio::io::duplex(64);
        let mut buf = BytesMut::new();
        client.write_all(b"abc").await.unwrap();
        // An unallocated buffer gets room first, so the read does not look like the end of the stream.
        assert_eq!(read_buf(&mut server, &mut buf).await.unwrap(), 3);
        client.write_all(b"defg").await.unwrap();
        assert_eq!(read_buf(&mut server, &mut buf).await.unwrap(), 4);
        assert_eq!(&buf[..], b"abcdefg");
        // A full buffer grows rather than reading nothing.
        let mut full = BytesMut::with_capacity(4);
        full.extend_from_slice(&buf[..full.capacity()]);
        client.write_all(b"h").await.unwrap();
        assert_eq!(read_buf(&mut server, &mut full).await.unwrap(), 1);
        assert!(full.ends_with(b"h"));
        assert_eq!(write(&mut client, b"ij").await.unwrap(), 2);
        shutdown(&mut client).await.unwrap();
        assert_eq!(read_buf(&mut server, &mut buf).await.unwrap(), 2);
        assert_eq!(read_buf(&mut server, &mut buf).await.unwrap(), 0);
        assert_eq!(&buf[..], b"abcdefgij");
    }

    /// A reader that fills a buffer of its own instead of the one it was given.
    struct Swapper;

    impl AsyncRead for Swapper {
        fn poll_read(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            *buf = ReadBuf::new(Box::leak(Box::new([1u8; 8])));
            buf.set_filled(8);
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    #[should_panic(expected = "poll_read replaced the read buffer")]
    async fn a_read_into_another_buffer_is_refused_not_counted() {
        let mut buf = BytesMut::with_capacity(16);
        let _ = read_buf(&mut Swapper, &mut buf).await;
    }

    #[tokio::test]
    async fn end_of_stream_reads_zero_and_writes_go_through() {
        let t = Transport::tcp();
        let (server, mut client) = pair().await;
        assert_eq!((t.try_write.unwrap())(&server, b"pong").unwrap(), 4);
        let mut got = [0u8; 4];
        tokio::io::AsyncReadExt::read_exact(&mut client, &mut got)
            .await
            .unwrap();
        assert_eq!(&got, b"pong");
        client.shutdown().await.unwrap();
        drop(client);
        readable(&t, &server).await;
        let mut buf = BytesMut::with_capacity(16);
        assert_eq!((t.try_read.unwrap())(&server, &mut buf).unwrap(), Some(0));
    }
}
