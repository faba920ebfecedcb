//! File bodies: small parts read into memory at once, large ones streamed in 64 KiB chunks, never whole.

use std::io::{self, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use tokio::fs::File;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt, ReadBuf};

use crate::response::{BodyStream, Response};

/// The size of one chunk read from a file; parts up to this size are read into memory whole.
pub(crate) const CHUNK: usize = 64 * 1024;

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
    if start > 0 {
        file.seek(SeekFrom::Start(start)).await?;
    }
    if read && len <= CHUNK as u64 {
        let mut buf = vec![0; len as usize];
        // A file cut short since its size was read fails here, before any byte is sent.
        file.read_exact(&mut buf).await?;
        return Ok(res.with_body(buf));
    }
    let stream: BodyStream = Box::pin(FileStream::new(file, len));
    Ok(res.with_stream(stream, Some(len)))
}

/// A stream of exactly `len` bytes of a file, from its current position, in chunks of at most [`CHUNK`].
///
/// A file that ends early makes the stream fail with `UnexpectedEof` (the server then cuts the connection,
/// since the announced `Content-Length` can no longer be met); a file that grew is cut at `len`.
#[derive(Debug)]
pub(crate) struct FileStream {
    file: File,
    remaining: u64,
    buf: BytesMut,
}

impl FileStream {
    /// Streams the next `len` bytes of `file`.
    pub(crate) fn new(file: File, len: u64) -> Self {
        FileStream {
            file,
            remaining: len,
            buf: BytesMut::new(),
        }
    }
}

impl Stream for FileStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        let want = this.remaining.min(CHUNK as u64) as usize;
        if this.buf.len() != want {
            // Zeroed once per chunk: the price of reading without `unsafe`. The buffer's storage is reused
            // as soon as the previous chunk has been written out and dropped.
            this.buf.clear();
            this.buf.resize(want, 0);
        }
        let mut read_buf = ReadBuf::new(&mut this.buf);
        ready!(Pin::new(&mut this.file).poll_read(cx, &mut read_buf))?;
        let n = read_buf.filled().len();
        if n == 0 {
            this.remaining = 0;
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "file shorter than announced",
            ))));
        }
        this.remaining -= n as u64;
        let chunk = this.buf.split_to(n).freeze();
        this.buf.clear();
        Poll::Ready(Some(Ok(chunk)))
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
        let mut file = File::open(&path).await.unwrap();
        file.seek(SeekFrom::Start(1000)).await.unwrap();
        let got = collect(FileStream::new(file, 150_000)).await.unwrap();
        assert_eq!(got, &data[1000..151_000]);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[tokio::test]
    async fn a_file_shorter_than_announced_fails() {
        let path = temp_file("short", b"abc");
        let file = File::open(&path).await.unwrap();
        let err = collect(FileStream::new(file, 10)).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
