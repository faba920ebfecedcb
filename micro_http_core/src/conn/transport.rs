//! How the connection loop reaches its stream beyond `AsyncRead` and `AsyncWrite`: for a tokio `TcpStream`, its
//! readiness and non-blocking calls; for any other stream (tests, the in-process client), the poll methods.
//!
//! A socket's reads and writes go through tokio's readiness (`try_io`) rather than `poll_read`/`poll_write`: the
//! readiness is one atomic load, with no cooperative-budget step and no waker check while the socket is ready,
//! and the connection registers its waker (`poll_read_ready`) only when there is nothing to read. What tokio's
//! `poll_read` does after a short read, taking the readiness away so that the next wait does not begin with a
//! read that would block, is done here the same way (BENCHMARKS.md has what it saved).

use std::io;
use std::task::{Context, Poll};

use bytes::BytesMut;
use tokio::io::Interest;
use tokio::net::TcpStream;

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
            try_write: Some(TcpStream::try_write),
        }
    }
}

/// One non-blocking read into `buf`'s spare capacity. A read that does not fill it takes the socket's read
/// readiness away (as `poll_read` does): the closure reports it as `WouldBlock`, which makes `try_io` clear the
/// readiness it saw, and the count is handed out beside it.
fn tcp_try_read(io: &TcpStream, buf: &mut BytesMut) -> io::Result<Option<usize>> {
    let spare = buf.capacity() - buf.len();
    let mut short = None;
    let r = io.try_io(Interest::READABLE, || {
        let n = io.try_read_buf(buf)?;
        if n > 0 && n < spare {
            short = Some(n);
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    });
    if short.is_some() {
        return Ok(short);
    }
    match r {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
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
