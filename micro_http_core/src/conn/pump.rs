//! Streaming a request body to the handler as it reads it, and draining what it left unread.

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout, timeout_at, Instant as Deadline};

use super::transport::{read_buf, write};
use super::{CONTINUE, READ_CHUNK};
use crate::body::{BodyError, BodyFeed};
use crate::parse::chunked::{ChunkedDecoder, ChunkedError, Decoded};

/// Where the body of a streamed request ends.
pub(super) enum BodyDecoder {
    Length(u64),
    Chunked(ChunkedDecoder),
}

impl BodyDecoder {
    /// Decodes what the buffer holds: `Ok(Some(data))`, `Ok(None)` when more input is needed, or the end.
    fn next(&mut self, buf: &mut BytesMut) -> Result<Next, ChunkedError> {
        match self {
            BodyDecoder::Length(0) => Ok(Next::Done),
            BodyDecoder::Length(remaining) => {
                if buf.is_empty() {
                    return Ok(Next::More);
                }
                let n = (*remaining).min(buf.len() as u64) as usize;
                *remaining -= n as u64;
                Ok(Next::Data(buf.split_to(n).freeze()))
            }
            BodyDecoder::Chunked(d) => Ok(match d.decode(buf)? {
                Decoded::Data(b) => Next::Data(b),
                Decoded::Done => Next::Done,
                Decoded::NeedMore => Next::More,
            }),
        }
    }

    fn is_done(&self) -> bool {
        match self {
            BodyDecoder::Length(n) => *n == 0,
            BodyDecoder::Chunked(d) => d.is_done(),
        }
    }

    /// Bytes still to come, when known (chunked: unknown, counted as 0 and bounded while draining).
    pub(super) fn remaining_hint(&self) -> u64 {
        match self {
            BodyDecoder::Length(n) => *n,
            BodyDecoder::Chunked(_) => 0,
        }
    }
}

enum Next {
    Data(Bytes),
    More,
    Done,
}

/// Feeds a streamed request body to the handler as it asks for it.
pub(super) struct BodyPump {
    pub(super) feed: BodyFeed,
    pub(super) decoder: BodyDecoder,
    pub(super) expect_continue: bool,
    pub(super) continue_sent: usize,
    pub(super) demanded: bool,
    pub(super) active: bool,
    pub(super) failed: bool,
    pub(super) received: u64,
    pub(super) limit: u64,
    /// When the handler first asked for the body.
    pub(super) started: Option<Deadline>,
}

impl BodyPump {
    pub(super) fn new(
        feed: BodyFeed,
        decoder: BodyDecoder,
        expect_continue: bool,
        limit: u64,
    ) -> Self {
        BodyPump {
            feed,
            decoder,
            expect_continue,
            continue_sent: 0,
            demanded: false,
            active: true,
            failed: false,
            received: 0,
            limit,
            started: None,
        }
    }

    pub(super) fn finished(&self) -> bool {
        self.decoder.is_done()
    }

    /// One cancel-safe step: every await point either completes without side effects lost or leaves the state
    /// as it was, because the handler's completion may drop this future at any await.
    pub(super) async fn step<S: AsyncRead + AsyncWrite + Unpin>(
        &mut self,
        io: &mut S,
        rbuf: &mut BytesMut,
        limits: &crate::Limits,
    ) -> Result<(), ()> {
        let body_timeout = limits.body_timeout;
        if !self.demanded {
            // The handler has not asked for the body yet; if it drops it unread, stop here.
            match (&mut self.feed.demand).await {
                Ok(()) => {
                    self.demanded = true;
                    self.started = Some(Deadline::now());
                }
                Err(_) => {
                    self.active = false;
                    return Ok(());
                }
            }
        }
        if self.expect_continue && self.continue_sent < CONTINUE.len() {
            // RFC 9110 §10.1.1: the client waits for this before sending the body.
            match timeout(body_timeout, write(io, &CONTINUE[self.continue_sent..])).await {
                Ok(Ok(n)) if n > 0 => {
                    self.continue_sent += n;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
        let Ok(permit) = self.feed.tx.reserve().await else {
            // The handler dropped the body.
            self.active = false;
            return Ok(());
        };
        loop {
            match self.decoder.next(rbuf) {
                Ok(Next::Data(data)) => {
                    self.received += data.len() as u64;
                    if self.received > self.limit {
                        permit.send(Err(BodyError::TooLarge { limit: self.limit }));
                        return Err(());
                    }
                    permit.send(Ok(data));
                    return Ok(());
                }
                Ok(Next::Done) => {
                    // Closing the channel ends the body for the reader.
                    drop(permit);
                    let (tx, _) = tokio::sync::mpsc::channel(1);
                    self.feed.tx = tx;
                    self.active = false;
                    return Ok(());
                }
                Ok(Next::More) => {}
                Err(e) => {
                    permit.send(Err(BodyError::Malformed(e.to_string())));
                    return Err(());
                }
            }
            if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
                rbuf.reserve(READ_CHUNK);
            }
            // Each read must make progress within body_timeout, and the body as a whole must keep up
            // min_body_rate after the first body_timeout.
            let mut deadline = Deadline::now() + body_timeout;
            if let (Some(start), Some(secs)) = (
                self.started,
                self.received.checked_div(limits.min_body_rate),
            ) {
                deadline =
                    deadline.min(start + body_timeout + std::time::Duration::from_secs(secs));
            }
            match timeout_at(deadline, read_buf(io, rbuf)).await {
                Ok(Ok(0)) | Ok(Err(_)) => {
                    permit.send(Err(BodyError::Incomplete));
                    return Err(());
                }
                Ok(Ok(_)) => {}
                Err(_) => {
                    permit.send(Err(BodyError::Timeout));
                    return Err(());
                }
            }
        }
    }

    /// Reads and discards the rest of the body, up to the drain limit. `true` if the body ended.
    pub(super) async fn drain<S: AsyncRead + Unpin>(
        &mut self,
        io: &mut S,
        rbuf: &mut BytesMut,
        limits: &crate::Limits,
    ) -> bool {
        let mut discarded = 0u64;
        loop {
            match self.decoder.next(rbuf) {
                Ok(Next::Data(d)) => {
                    discarded += d.len() as u64;
                    if discarded > limits.max_drain_bytes {
                        return false;
                    }
                }
                Ok(Next::Done) => return true,
                Ok(Next::More) => {
                    if rbuf.capacity() - rbuf.len() < READ_CHUNK / 4 {
                        rbuf.reserve(READ_CHUNK);
                    }
                    match timeout(limits.body_timeout, read_buf(io, rbuf)).await {
                        Ok(Ok(n)) if n > 0 => {}
                        _ => return false,
                    }
                }
                Err(_) => return false,
            }
        }
    }
}
