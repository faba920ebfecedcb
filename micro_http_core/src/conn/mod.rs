//! The per-connection loop: read, parse every request already buffered, run its handler, queue its response,
//! and write the whole batch at once before waiting for more bytes.

use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::BytesMut;
use http::{Method, StatusCode};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::{sleep_until, timeout, timeout_at, Instant as Deadline, Sleep};

mod pump;

use pump::{BodyDecoder, BodyPump};

use crate::app::Service;
use crate::body::Body;
use crate::error::HttpError;
use crate::parse::chunked::{self, ChunkedDecoder, ChunkedError};
use crate::parse::{BodyFraming, HeadParser, Version};
use crate::request::Request;
use crate::response::{encode_head, ConnectionField, Framing, Response, ResponseBody};

pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
/// Read buffer growth step; also the most a single body read pulls in.
pub(crate) const READ_CHUNK: usize = 8 * 1024;
/// Responses queued for one batch are flushed once they pass this size, so pipelining never buffers unboundedly.
const MAX_BATCH: usize = 64 * 1024;

use crate::shutdown::{ShutdownWatch, Wake};

/// Why the loop stopped: all of them simply end the connection.
#[derive(Debug)]
enum Stop {
    /// Close now; nothing more to send.
    Close,
    /// Close after a lingering read, because unread input may still be arriving and closing on it would reset
    /// the connection and could destroy the response in flight (RFC 9112 §9.6).
    Linger,
}

struct Conn<S> {
    io: S,
    peer: Option<SocketAddr>,
    service: Arc<Service>,
    shutdown: ShutdownWatch,
    rbuf: BytesMut,
    wbuf: Vec<u8>,
    parser: HeadParser,
    /// When the response being written started going out, and how many bytes of it have.
    sending: Option<(Deadline, u64)>,
    /// The connection's head/idle timer: armed no later than the current deadline (see `arm_timer`).
    timer: Pin<Box<Sleep>>,
}

/// Serves one connection until the client closes it, a limit or error closes it, or shutdown.
pub(crate) async fn serve<S>(
    io: S,
    peer: Option<SocketAddr>,
    service: Arc<Service>,
    shutdown: ShutdownWatch,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limits_head_timeout = service.limits.head_timeout;
    let mut conn = Conn {
        io,
        peer,
        service,
        shutdown,
        rbuf: BytesMut::new(),
        wbuf: Vec::new(),
        parser: HeadParser::default(),
        sending: None,
        timer: Box::pin(sleep_until(Deadline::now() + limits_head_timeout)),
    };
    let stop = conn.run().await;
    if let Stop::Linger = stop {
        conn.linger().await;
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    async fn run(&mut self) -> Stop {
        let mut first = true;
        loop {
            match self.next_request(first).await {
                Ok(Some(stop)) => return stop,
                Ok(None) => first = false,
                Err(stop) => return stop,
            }
        }
    }

    /// Reads, answers and queues one request. `Ok(None)`: continue with the next one.
    async fn next_request(&mut self, first: bool) -> Result<Option<Stop>, Stop> {
        let head = match self.read_head(first).await? {
            Ok(head) => head,
            Err(e) => {
                tracing::debug!(peer = ?self.peer, error = %e, "refused request");
                self.queue_error(&e, false);
                self.flush().await?;
                return Ok(Some(Stop::Linger));
            }
        };
        let started = tracing::enabled!(tracing::Level::INFO).then(Instant::now);
        let is_head = head.method == Method::HEAD;
        let http11 = head.version == Version::Http11;
        let expect_continue = head.expect_continue;
        let framing = head.framing;
        let mut keep_alive = head.keep_alive && !self.shutdown.is_set();

        let mut req = Request::from_head(head, self.peer);
        let log = started.map(|t| (req.method(), req.path().to_string(), t));
        let resolved = self.service.resolve(&mut req);
        let limit = req.body_limit();

        // Body framing: take a body that is already buffered, refuse one that is too large, stream the rest.
        let mut pump = None;
        match framing {
            BodyFraming::None => {}
            BodyFraming::Length(n) if n > limit => {
                return self
                    .refuse(
                        HttpError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            format!("request body of {n} bytes exceeds the limit of {limit} bytes"),
                        ),
                        is_head,
                        log,
                    )
                    .await;
            }
            BodyFraming::Length(n) if self.rbuf.len() as u64 >= n => {
                req.set_body(Body::from_bytes(self.rbuf.split_to(n as usize).freeze()));
            }
            BodyFraming::Length(n) => {
                let (body, feed) = Body::streaming(limit);
                req.set_body(body);
                pump = Some(BodyPump::new(
                    feed,
                    BodyDecoder::Length(n),
                    expect_continue,
                    limit,
                ));
            }
            BodyFraming::Chunked => {
                match chunked::decode_complete(&mut self.rbuf, self.service.limits.chunked(), limit)
                {
                    Ok(Some(body)) => req.set_body(Body::from_bytes(body)),
                    Ok(None) => {
                        let (body, feed) = Body::streaming(limit);
                        req.set_body(body);
                        let decoder = ChunkedDecoder::new(self.service.limits.chunked());
                        pump = Some(BodyPump::new(
                            feed,
                            BodyDecoder::Chunked(decoder),
                            expect_continue,
                            limit,
                        ));
                    }
                    Err(e) => return self.refuse(chunked_error(e, limit), is_head, log).await,
                }
            }
        }

        if pump.is_some() && expect_continue {
            // A `100 Continue` goes straight to the socket: the responses queued before it must go first, or the
            // client would take it for an earlier request's (found by the connection fuzz target).
            self.flush().await?;
        }
        let res = match pump.as_mut() {
            None => self.service.call(resolved, req).await,
            Some(pump) => {
                let mut call = pin!(self.service.call(resolved, req));
                loop {
                    tokio::select! {
                        biased;
                        res = &mut call => break res,
                        step = pump.step(&mut self.io, &mut self.rbuf, &self.service.limits), if pump.active => {
                            if step.is_err() {
                                pump.active = false;
                                pump.failed = true;
                            }
                        }
                    }
                }
            }
        };

        // A body the handler left unread: drain it if small, else close (the next request would be misparsed).
        let mut linger = false;
        if let Some(pump) = pump.as_mut() {
            if !pump.finished() {
                let drainable = !pump.failed
                    && (!pump.expect_continue || pump.continue_sent == CONTINUE.len())
                    && pump.decoder.remaining_hint() <= self.service.limits.max_drain_bytes;
                if !drainable
                    || !pump
                        .drain(&mut self.io, &mut self.rbuf, &self.service.limits)
                        .await
                {
                    keep_alive = false;
                    linger = true;
                }
            }
        }

        // Shutdown may have started while the handler ran: this response is the connection's last.
        keep_alive &= !self.shutdown.is_set();
        let status = res.status();
        self.queue_response(res, is_head, http11, &mut keep_alive)
            .await?;
        if let Some((method, path, t)) = log {
            tracing::info!(target: "micro_http::access", "{method} {path} {} {:?}", status.as_u16(), t.elapsed());
        }
        if !keep_alive {
            self.flush().await?;
            return Ok(Some(if linger || !self.rbuf.is_empty() {
                Stop::Linger
            } else {
                Stop::Close
            }));
        }
        if self.wbuf.len() >= MAX_BATCH {
            self.flush().await?;
        }
        Ok(None)
    }

    /// Answers a request refused after its head was read (the body is not read: close after).
    async fn refuse(
        &mut self,
        e: HttpError,
        is_head: bool,
        log: Option<(Method, String, Instant)>,
    ) -> Result<Option<Stop>, Stop> {
        self.queue_error(&e, is_head);
        if let Some((method, path, t)) = log {
            tracing::info!(target: "micro_http::access", "{method} {path} {} {:?}", e.status().as_u16(), t.elapsed());
        }
        self.flush().await?;
        Ok(Some(Stop::Linger))
    }

    /// Waits for a complete head. The outer `Err` stops the connection silently (EOF, idle timeout, shutdown);
    /// the inner `Err` is a request to refuse with a status.
    async fn read_head(
        &mut self,
        first: bool,
    ) -> Result<Result<crate::parse::RequestHead, HttpError>, Stop> {
        let service = self.service.clone();
        let limits = &service.limits;
        let now = Deadline::now();
        // A new connection gets the head timeout to send its first request; a kept-alive one may idle longer.
        let mut deadline = if first {
            now + limits.head_timeout
        } else {
            now + limits.idle_timeout
        };
        let mut started = !self.rbuf.is_empty();
        let idle_epoch = self.shutdown.epoch();
        if started {
            deadline = deadline.min(now + limits.head_timeout);
        }
        loop {
            match self.parser.parse(&mut self.rbuf, limits) {
                Ok(Some(head)) => return Ok(Ok(head)),
                Ok(None) => {}
                Err(e) => return Ok(Err(e)),
            }
            // Out of complete requests: this batch of responses is done.
            self.flush().await?;
            // Shutdown closes an idle connection with a lingering close: a request the client sent meanwhile
            // would otherwise turn our close into a reset that can destroy the response just sent (RFC 9112 §9.6).
            if !started && self.shutdown.is_set() {
                return Err(Stop::Linger);
            }
            if self.rbuf.capacity() - self.rbuf.len() < READ_CHUNK / 4 {
                self.rbuf.reserve(READ_CHUNK);
            }
            self.arm_timer(deadline);
            let read = tokio::select! {
                biased;
                r = self.io.read_buf(&mut self.rbuf) => r,
                _ = self.timer.as_mut() => {
                    if Deadline::now() < deadline {
                        // Fired early (it was armed for an earlier deadline): re-arm for the real one.
                        self.timer.as_mut().reset(deadline);
                        continue;
                    }
                    if started {
                        return Ok(Err(HttpError::new(
                            StatusCode::REQUEST_TIMEOUT,
                            "timed out waiting for the request head",
                        )));
                    }
                    return Err(Stop::Close);
                }
                wake = self.shutdown.idle(idle_epoch, now, limits.shed_idle_after), if !started => {
                    return Err(match wake {
                        Wake::Shutdown => Stop::Linger,
                        // Every slot is taken and nothing of a request has come: make room.
                        Wake::Shed => Stop::Close,
                    });
                }
            };
            match read {
                Ok(0) | Err(_) => return Err(Stop::Close),
                Ok(_) => {
                    if !started {
                        started = true;
                        deadline = deadline.min(Deadline::now() + limits.head_timeout);
                    }
                }
            }
        }
    }

    /// Makes the connection timer fire no later than `deadline`.
    ///
    /// The timer is one per connection and is only moved earlier, never later: a request that arrives before
    /// its deadline costs no timer operation, and a timer that fires early is re-armed once (see `read_head`).
    /// Resetting a timer on every request is what a per-read `timeout()` costs.
    fn arm_timer(&mut self, deadline: Deadline) {
        if deadline < self.timer.deadline() {
            self.timer.as_mut().reset(deadline);
        }
    }

    fn queue_error(&mut self, e: &HttpError, is_head: bool) {
        let res = e.to_response();
        self.encode(
            &res,
            Framing::choose(res.status(), res.body().len(), true),
            ConnectionField::Close,
        );
        // RFC 9110 §9.3.2: the head of a HEAD response is the GET's, without the body, errors included.
        if let (ResponseBody::Full(b), false) = (res.body(), is_head) {
            self.wbuf.extend_from_slice(b);
        }
    }

    fn encode(&mut self, res: &Response, framing: Framing, connection: ConnectionField) {
        let server = self.service.server_name.as_ref().map(|v| v.as_bytes());
        crate::date::with_date(|date| {
            encode_head(&mut self.wbuf, res, framing, connection, date, server)
        });
    }

    /// Encodes `res` into the write buffer; a streamed body is written out right away.
    async fn queue_response(
        &mut self,
        mut res: Response,
        is_head: bool,
        http11: bool,
        keep_alive: &mut bool,
    ) -> Result<(), Stop> {
        if res
            .header(http::header::CONNECTION)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"close"))
        {
            *keep_alive = false;
        }
        let framing = Framing::choose(res.status(), res.body().len(), http11);
        if framing == Framing::UntilClose {
            *keep_alive = false;
        }
        let connection = match (*keep_alive, http11) {
            (false, _) => ConnectionField::Close,
            (true, true) => ConnectionField::None,
            (true, false) => ConnectionField::KeepAlive,
        };
        self.encode(&res, framing, connection);
        if is_head || framing == Framing::NoBody {
            return Ok(());
        }
        match res.take_body() {
            ResponseBody::Empty => Ok(()),
            ResponseBody::Full(b) => {
                self.wbuf.extend_from_slice(&b);
                Ok(())
            }
            ResponseBody::Stream { mut stream, len } => {
                self.flush().await?;
                let mut sent = 0u64;
                while let Some(chunk) =
                    std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await
                {
                    let chunk = match chunk {
                        Ok(c) => c,
                        Err(e) => {
                            // Headers are gone already: the only honest signal left is to cut the connection.
                            tracing::error!(error = %e, "response body stream failed; closing the connection");
                            return Err(Stop::Close);
                        }
                    };
                    if chunk.is_empty() {
                        continue;
                    }
                    sent += chunk.len() as u64;
                    if let Some(len) = len {
                        if sent > len {
                            tracing::error!(
                                "response body stream longer than its announced length; closing"
                            );
                            return Err(Stop::Close);
                        }
                    }
                    if framing == Framing::Chunked {
                        let mut size = [0u8; 18];
                        let n = hex_line(chunk.len(), &mut size);
                        self.write_all_bytes(&size[..n]).await?;
                        self.write_all_bytes(&chunk).await?;
                        self.write_all_bytes(b"\r\n").await?;
                    } else {
                        self.write_all_bytes(&chunk).await?;
                    }
                }
                if let Some(len) = len {
                    if sent != len {
                        tracing::error!(
                            "response body stream shorter than its announced length; closing"
                        );
                        return Err(Stop::Close);
                    }
                }
                if framing == Framing::Chunked {
                    self.wbuf.extend_from_slice(b"0\r\n\r\n");
                }
                Ok(())
            }
        }
    }

    /// Writes `data` whole. Each write must make progress within `write_timeout`, and once the first
    /// `write_timeout` of a response has passed, the client must keep reading at `min_send_rate` on average:
    /// a client that reads a trickle cannot hold a connection (and a streamed body) forever.
    async fn write_all_bytes(&mut self, mut data: &[u8]) -> Result<(), Stop> {
        let limits = &self.service.limits;
        let (started, sent) = self.sending.get_or_insert((Deadline::now(), 0));
        while !data.is_empty() {
            // Most writes complete at once: try without a timer first, and arm one only for a write that would
            // block. (A `Pending` here registers a no-op waker; the timed write below replaces it.)
            let now =
                Pin::new(&mut self.io).poll_write(&mut Context::from_waker(Waker::noop()), data);
            match now {
                Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Err(Stop::Close),
                Poll::Ready(Ok(n)) => {
                    data = &data[n..];
                    *sent += n as u64;
                    continue;
                }
                Poll::Pending => {}
            }
            let mut deadline = Deadline::now() + limits.write_timeout;
            if let Some(secs) = sent.checked_div(limits.min_send_rate) {
                deadline = deadline
                    .min(*started + limits.write_timeout + std::time::Duration::from_secs(secs));
            }
            match timeout_at(deadline, self.io.write(data)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Err(Stop::Close),
                Ok(Ok(n)) => {
                    data = &data[n..];
                    *sent += n as u64;
                }
            }
        }
        Ok(())
    }

    /// Writes every queued response.
    async fn flush(&mut self) -> Result<(), Stop> {
        if self.wbuf.is_empty() {
            return Ok(());
        }
        let buf = std::mem::take(&mut self.wbuf);
        let r = self.write_all_bytes(&buf).await;
        // The rate window covers one batch (or one streamed response): it ends when the batch is written.
        self.sending = None;
        self.wbuf = buf;
        self.wbuf.clear();
        if self.wbuf.capacity() > 4 * MAX_BATCH {
            self.wbuf = Vec::new();
        }
        r
    }

    /// Half-closes, then reads and discards for a moment so the client gets our last response before the close.
    async fn linger(&mut self) {
        let _ = timeout(std::time::Duration::from_millis(100), self.io.shutdown()).await;
        let mut scratch = [0u8; 4096];
        let deadline = Deadline::now() + std::time::Duration::from_secs(1);
        let mut total = 0usize;
        while total < 256 * 1024 {
            match timeout_at(deadline, self.io.read(&mut scratch)).await {
                Ok(Ok(n)) if n > 0 => total += n,
                _ => break,
            }
        }
    }
}

/// `{len:x}\r\n` into `out`; returns its length.
fn hex_line(mut len: usize, out: &mut [u8; 18]) -> usize {
    let mut digits = [0u8; 16];
    let mut n = 0;
    loop {
        digits[n] = b"0123456789abcdef"[len & 0xf];
        n += 1;
        len >>= 4;
        if len == 0 {
            break;
        }
    }
    for i in 0..n {
        out[i] = digits[n - 1 - i];
    }
    out[n] = b'\r';
    out[n + 1] = b'\n';
    n + 2
}

fn chunked_error(e: ChunkedError, limit: u64) -> HttpError {
    match e {
        ChunkedError::TooLarge => HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body exceeds the limit of {limit} bytes"),
        ),
        other => HttpError::bad_request(format!("malformed chunked body: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lines() {
        let mut b = [0u8; 18];
        let n = hex_line(0, &mut b);
        assert_eq!(&b[..n], b"0\r\n");
        let n = hex_line(0x1a2b, &mut b);
        assert_eq!(&b[..n], b"1a2b\r\n");
        let n = hex_line(usize::MAX, &mut b);
        assert_eq!(n, 18);
    }
}
