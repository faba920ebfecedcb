//! File bodies: small parts read into memory at once, large ones streamed in 64 KiB chunks, never whole.
//!
//! Files are read with `std::fs` on tokio's blocking pool (`spawn_blocking`), one call per chunk, which is what
//! `tokio::fs::File` does; tokio's `fs` feature is not used, to keep it out of the build (BENCHMARKS.md, "Build
//! time").

use std::fs::File;
use std::future::Future;
use std::io::{self, Read, Seek, SeekFrom};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::task::JoinHandle;

use crate::response::{BodyStream, Response};

/// The size of one chunk read from a file; parts up to this size are read into memory whole.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Runs blocking file work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(io::Error::other(e)))
}

/// Sets the body of `res` to `len` bytes of `file` from `start`.
///
/// For HEAD (`read` false) nothing is read: the server sends only the head, with the length announced here.
pub(crate) async fn file_body(
    res: Response,
    mut file: File,
    start: u64,
    len: u64,
    read: bool,
) -> io::Result<Response> {
    if read && len <= CHUNK as u64 {
        let buf = blocking(move || {
            if start > 0 {
                file.seek(SeekFrom::Start(start))?;
            }
            let mut buf = vec![0; len as usize];
            // A file cut short since its size was read fails here, before any byte is sent.
            file.read_exact(&mut buf)?;
            Ok(buf)
        })
        .await?;
        return Ok(res.with_body(buf));
    }
    let stream: BodyStream = Box::pin(FileStream::new(file, start, len));
    Ok(res.with_stream(stream, Some(len)))
}

/// One chunk read on the blocking pool: the file and buffer come back with the result.
type ReadJob = JoinHandle<(File, BytesMut, io::Result<usize>)>;

/// A stream of exactly `len` bytes of a file from `start`, in chunks of at most [`CHUNK`].
///
/// A file that ends early makes the stream fail with `UnexpectedEof` (the server then cuts the connection,
/// since the announced `Content-Length` can no longer be met); a file that grew is cut at `len`.
#[derive(Debug)]
pub(crate) struct FileStream {
    state: State,
    /// Where to seek before the first read (`None`: read from the current position).
    seek: Option<u64>,
    remaining: u64,
}

#[derive(Debug)]
enum State {
    /// No read running: the file and the chunk buffer.
    Idle(File, BytesMut),
    /// A chunk being read on the blocking pool.
    Reading(ReadJob),
    /// Everything sent, or a read failed.
    Done,
}

impl FileStream {
    /// Streams `len` bytes of `file` from `start`.
    pub(crate) fn new(file: File, start: u64, len: u64) -> Self {
        FileStream {
            state: State::Idle(file, BytesMut::new()),
            seek: (start > 0).then_some(start),
            remaining: len,
        }
    }
}

impl Stream for FileStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            // Every arm below puts back the state it leaves the stream in; an early return leaves `Done`.
            match std::mem::replace(&mut this.state, State::Done) {
                State::Done => return Poll::Ready(None),
                State::Idle(..) if this.remaining == 0 => return Poll::Ready(None),
                State::Idle(mut file, mut buf) => {
                    let want = this.remaining.min(CHUNK as u64) as usize;
                    let seek = this.seek.take();
                    this.state = State::Reading(tokio::task::spawn_blocking(move || {
                        let r = seek
                            .map_or(Ok(0), |pos| file.seek(SeekFrom::Start(pos)))
                            .and_then(|_| {
                                // Zeroed once per chunk: the price of reading without `unsafe`. The buffer's
                                // storage is reused as soon as the previous chunk has been written out and dropped.
                                buf.clear();
                                buf.resize(want, 0);
                                file.read(&mut buf)
                            });
                        (file, buf, r)
                    }));
                }
                State::Reading(mut job) => {
                    let Poll::Ready(done) = Pin::new(&mut job).poll(cx) else {
                        this.state = State::Reading(job);
                        return Poll::Pending;
                    };
                    let (file, mut buf, n) = match done {
                        Ok((file, buf, Ok(n))) => (file, buf, n),
                        Ok((_, _, Err(e))) => return Poll::Ready(Some(Err(e))),
                        Err(e) => return Poll::Ready(Some(Err(io::Error::other(e)))),
                    };
                    if n == 0 {
                        return Poll::Ready(Some(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "file shorter than announced",
                        ))));
                    }
                    this.remaining -= n as u64;
                    let chunk = buf.split_to(n).freeze();
                    buf.clear();
                    this.state = State::Idle(file, buf);
                    return Poll::Ready(Some(Ok(chunk)));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn collect(mut s: FileStream) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(chunk) = std::future::poll_fn(|cx| Pin::new(&mut s).poll_next(cx)).await {
            let chunk = chunk?;
            assert!(!chunk.is_empty() && chunk.len() <= CHUNK);
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    fn temp_file(name: &str, data: &[u8]) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("micro_http_stream_{}_{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }

    #[tokio::test]
    async fn streams_exactly_the_part_asked_for() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let path = temp_file("part", &data);
        let file = File::open(&path).unwrap();
        let got = collect(FileStream::new(file, 1000, 150_000)).await.unwrap();
        assert_eq!(got, &data[1000..151_000]);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_file_shorter_than_announced_fails() {
        let path = temp_file("short", b"abc");
        let file = File::open(&path).unwrap();
        let err = collect(FileStream::new(file, 0, 10)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
