//! The per-connection loop: read, parse every request already buffered, run its handler, queue its response,
//! and write the whole batch at once before waiting for more bytes.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::BytesMut;
use http::{Method, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{timeout, timeout_at, Instant as Deadline};

mod pump;
mod sys;
mod transport;

use pump::{BodyDecoder, BodyPump};
pub(crate) use transport::Transport;

use crate::app::{Call, Service};
use crate::body::Body;
use crate::error::HttpError;
use crate::parse::chunked::{self, ChunkedDecoder, ChunkedError};
use crate::parse::{BodyFraming, HeadParser, Version};
use crate::request::Request;
use crate::response::{encode_head_cached, ConnectionField, Framing, Response, ResponseBody};

pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
/// Read buffer growth step for bodies; also the most a single body read pulls in.
pub(crate) const READ_CHUNK: usize = 8 * 1024;
/// The read buffer a request head starts with; it doubles while a head needs more. Most heads fit: an idle
/// connection should not hold 8 KiB.
const HEAD_CHUNK: usize = 1024;
/// A connection idle this long with nothing buffered gives its buffers back, so 10,000 idle keep-alive
/// connections do not hold 10,000 read and write buffers.
const RELEASE_IDLE_BUFFERS: std::time::Duration = std::time::Duration::from_secs(1);
/// Responses queued for one batch are flushed once they pass this size, so pipelining never buffers unboundedly.
const MAX_BATCH: usize = 64 * 1024;

use crate::clock::Tick;
use crate::shutdown::{sheddable_at, Idle, ShutdownWatch, Wake};

/// Why the loop stopped: all of them simply end the connection.
#[derive(Debug)]
enum Stop {
    /// Close now; nothing more to send.
    Close,
    /// Close after a lingering read, because unread input may still be arriving and closing on it would reset
    /// the connection and could destroy the response in flight (RFC 9112 §9.6).
    Linger,
}

/// What [`Conn::poll_turn`] hands to the connection's future.
enum Turn {
    /// A request to go on with asynchronously.
    Answer(AtOnce),
    /// The batch of responses, of which this many bytes were written at once, waits for the socket.
    Flush(usize),
    /// A request head refused with a status; the connection closes after the answer.
    Refused(HttpError),
    /// The connection ends.
    Stop(Stop),
}

/// A wait for a request's head, as [`Conn::poll_turn`] keeps it between polls.
#[derive(Clone, Copy)]
struct Waiting {
    /// When the wait ends (the head or idle timeout).
    deadline: Tick,
    /// Whether part of a request has arrived (then only the head timeout applies).
    started: bool,
    /// What an idle wait also listens to.
    idle: Idle,
    /// When an idle connection gives its buffers back.
    release_at: Tick,
}

/// What answering a request at once leaves to do ([`Conn::answer_at_once`]).
enum AtOnce {
    /// The response is queued: read the next request.
    Next,
    /// The response is queued: write the batch, then go on (`None`) or stop.
    Flush(Option<Stop>),
    /// The handler gave a future: its response is still to come.
    Await(Call, Answering),
    /// A response whose body streams: to queue, then write out.
    Queue(Response, Answering),
    /// A request with a body: the general way ([`Conn::answer`]).
    Slow(crate::parse::RequestHead),
}

/// What [`Conn::answer`] gives back: the response to queue, or what the connection does next.
enum Answered {
    Respond(Response, Answering),
    Done(Option<Stop>),
}

/// What answering a request carries from its head to its response.
struct Answering {
    is_head: bool,
    http11: bool,
    keep_alive: bool,
    /// A body the handler left unread could not be drained: close with a lingering read.
    linger: bool,
    /// The access log's method, path and start, when it is on.
    log: Option<(Method, String, Instant)>,
}

struct Conn<S> {
    io: S,
    peer: Option<SocketAddr>,
    service: Arc<Service>,
    shutdown: ShutdownWatch,
    rbuf: BytesMut,
    wbuf: Vec<u8>,
    parser: HeadParser,
    /// When a write of the batch (or streamed response) being sent first had to wait; `None` while every
    /// write has completed at once, so the common case reads no clock.
    send_blocked_since: Option<Deadline>,
    /// Bytes of the batch (or streamed response) written so far.
    sent: u64,
    /// The wait for the next request's head, while one is on.
    waiting: Option<Waiting>,
    /// Its readiness and non-blocking calls, where the stream has them (a socket).
    transport: Transport<S>,
}

/// Writes what `io` takes of `data` now, without waiting: `Ok(0)` if it would block, `Err` if the connection is
/// gone. A socket is written with `try_write`; another stream with `poll_write` and a no-op waker, which a timed
/// write replaces.
fn write_at_once<S: AsyncWrite + Unpin>(
    io: &mut S,
    transport: Transport<S>,
    data: &[u8],
) -> Result<usize, Stop> {
    let r = match transport.try_write {
        Some(try_write) => match try_write(io, data) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return Ok(0),
            r => r,
        },
        None => match Pin::new(io).poll_write(&mut Context::from_waker(Waker::noop()), data) {
            Poll::Ready(r) => r,
            Poll::Pending => return Ok(0),
        },
    };
    match r {
        Ok(0) | Err(_) => Err(Stop::Close),
        Ok(n) => Ok(n),
    }
}

/// Reads what has arrived into `buf`; an unallocated buffer is allocated only once bytes are there to read.
fn poll_read_some<S: AsyncRead + Unpin>(
    io: &mut S,
    transport: Transport<S>,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<std::io::Result<usize>> {
    if buf.capacity() == 0 {
        std::task::ready!((transport.ready)(io, cx))?;
        buf.reserve(HEAD_CHUNK);
    }
    let Some(try_read) = transport.try_read else {
        return transport::poll_read_buf(io, cx, buf);
    };
    // Read first; wait (registering the waker) only when nothing has arrived, and read again once woken. Each
    // read takes a unit of the task's cooperative budget, as `poll_read` does, so a client that never lets the
    // socket run dry cannot keep its worker from the other connections.
    let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
    loop {
        match try_read(io, buf) {
            Ok(None) => {}
            Ok(Some(n)) => {
                coop.made_progress();
                return Poll::Ready(Ok(n));
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
        std::task::ready!((transport.ready)(io, cx))?;
    }
}

/// Serves one connection until the client closes it, a limit or error closes it, or shutdown.
///
/// Not an `async fn`: that would keep its arguments in the future beside the `Conn` they were moved into.
pub(crate) fn serve<S>(
    io: S,
    peer: Option<SocketAddr>,
    service: Arc<Service>,
    shutdown: ShutdownWatch,
    transport: Transport<S>,
) -> impl std::future::Future<Output = ()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut conn = Conn {
        io,
        peer,
        service,
        shutdown,
        rbuf: BytesMut::new(),
        wbuf: Vec::new(),
        parser: HeadParser::default(),
        send_blocked_since: None,
        sent: 0,
        waiting: None,
        transport,
    };
    async move {
        let stop = conn.run().await;
        if let Stop::Linger = stop {
            // Once per connection at most: boxed, so its timers do not weigh on every connection's future.
            Box::pin(conn.linger()).await;
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    async fn run(&mut self) -> Stop {
        let mut first = true;
        loop {
            let turn = std::future::poll_fn(|cx| self.poll_turn(cx, &mut first)).await;
            if let Turn::Stop(stop) = turn {
                return stop;
            }
            // The rest is rarer and heavier: boxed, so its state (and code) does not weigh on every connection's
            // future.
            match Box::pin(self.after_turn(turn)).await {
                Ok(None) => {}
                Ok(Some(stop)) | Err(stop) => return stop,
            }
        }
    }

    /// What [`poll_turn`](Self::poll_turn) handed over, done asynchronously. `Ok(None)`: take the next turn.
    async fn after_turn(&mut self, turn: Turn) -> Result<Option<Stop>, Stop> {
        match turn {
            Turn::Stop(stop) => Ok(Some(stop)),
            Turn::Flush(written) => self.finish_flush(written).await.map(|()| None),
            Turn::Refused(e) => {
                tracing::debug!(peer = ?self.peer, error = %e, "refused request");
                self.queue_error(&e, false);
                self.flush().await.map(|()| Some(Stop::Linger))
            }
            Turn::Answer(rest) => self.answer_rest(rest).await,
        }
    }

    /// The connection's usual work, as one plain function polled by its future: answer every request already
    /// buffered ([`answer_at_once`](Self::answer_at_once)), write the batch of responses, then read, or wait
    /// for bytes or a deadline. Ready with whatever needs more than that: a request the usual way cannot
    /// answer, a batch the socket did not take at once, a refusal, or the end of the connection.
    ///
    /// A plain function rather than `async` code: as awaits in the connection's future, its hot path lay among
    /// the resume code of every await point, and its locals in a frame of several kilobytes (BENCHMARKS.md,
    /// "Footprint"). What the wait must remember between polls is in `self.waiting`.
    ///
    /// The deadlines are kept on the server's coarse clock (`clock.rs`), not by a tokio timer: a wait stores the
    /// deadline in the connection's slot, and the server's ticker wakes the connection once it has passed.
    #[inline(never)]
    fn poll_turn(&mut self, cx: &mut Context<'_>, first: &mut bool) -> Poll<Turn> {
        loop {
            // A head already buffered (pipelining, or the rest of the last read) costs no clock read and no
            // deadline.
            if let Some(head) = self.buffered_head() {
                if self.waiting.take().is_some() {
                    // Answering has no deadline here (writes and bodies have their own): no wake-up while it runs.
                    self.shutdown.set_deadline(Tick::NEVER);
                }
                *first = false;
                match head {
                    Ok(head) => match self.answer_at_once(head) {
                        AtOnce::Next => continue,
                        rest => return Poll::Ready(Turn::Answer(rest)),
                    },
                    Err(e) => return Poll::Ready(Turn::Refused(e)),
                }
            }
            // Out of complete requests: this batch of responses is done. Most go whole in one write that does not
            // wait; the rest is written by `finish_flush`, with its timeouts.
            match self.flush_at_once() {
                Ok(None) => {}
                Ok(Some(written)) => return Poll::Ready(Turn::Flush(written)),
                Err(stop) => return Poll::Ready(Turn::Stop(stop)),
            }
            let mut w = match self.waiting {
                Some(w) => w,
                None => self.start_waiting(*first),
            };
            // Shutdown closes an idle connection with a lingering close: a request the client sent meanwhile
            // would otherwise turn our close into a reset that can destroy the response just sent (RFC 9112 §9.6).
            if !w.started && self.shutdown.is_set() {
                return Poll::Ready(Turn::Stop(Stop::Linger));
            }
            let spare = self.rbuf.capacity() - self.rbuf.len();
            // An unallocated buffer stays so until bytes arrive (`poll_read_some`).
            if self.rbuf.capacity() > 0 && spare < HEAD_CHUNK / 4 {
                // Part of a head (or of pipelined requests) fills the buffer: read the rest in one step of
                // READ_CHUNK rather than doubling from HEAD_CHUNK, which took a 1,000-byte head over several
                // reads and parses. A buffer whose requests were all answered is empty and keeps its size, so an
                // idle connection still holds HEAD_CHUNK at most. (A consumed buffer is reclaimed in place.)
                self.rbuf.reserve(READ_CHUNK);
            }
            // Buffers held while idle are released after a while (see `release_buffers`).
            let holds_buffers = !w.started && self.rbuf.capacity() + self.wbuf.capacity() > 0;
            self.shutdown.set_deadline(if holds_buffers {
                w.deadline.min(w.release_at)
            } else {
                w.deadline
            });
            match poll_read_some(&mut self.io, self.transport, &mut self.rbuf, cx) {
                Poll::Ready(Ok(0) | Err(_)) => return Poll::Ready(Turn::Stop(Stop::Close)),
                Poll::Ready(Ok(_)) => {
                    if !w.started {
                        w.started = true;
                        let head_timeout = self.service.limits.head_timeout;
                        w.deadline = w.deadline.min(self.shutdown.now().after(head_timeout));
                        self.waiting = Some(w);
                    }
                    continue;
                }
                Poll::Pending => {}
            }
            let idle = (!w.started).then_some(w.idle);
            let wake = match Pin::new(&mut self.shutdown.request_wait(idle)).poll(cx) {
                Poll::Ready(wake) => wake,
                Poll::Pending => return Poll::Pending,
            };
            let stop = match wake {
                Wake::Deadline if !w.started && self.shutdown.now() < w.deadline => {
                    // The release deadline: give the buffers back, then wait for the real one.
                    self.release_buffers();
                    continue;
                }
                Wake::Deadline if w.started => {
                    self.waiting = None;
                    self.shutdown.set_deadline(Tick::NEVER);
                    return Poll::Ready(Turn::Refused(HttpError::new(
                        StatusCode::REQUEST_TIMEOUT,
                        "timed out waiting for the request head",
                    )));
                }
                Wake::Deadline => Stop::Close,
                Wake::Shutdown => Stop::Linger,
                // Every slot is taken and nothing of a request has come: make room.
                Wake::Shed => Stop::Close,
            };
            return Poll::Ready(Turn::Stop(stop));
        }
    }

    /// The deadlines of a wait for a request that starts now.
    #[inline(never)]
    fn start_waiting(&mut self, first: bool) -> Waiting {
        let l = &self.service.limits;
        let (head_timeout, idle_timeout, shed_after) =
            (l.head_timeout, l.idle_timeout, l.shed_idle_after);
        let now = self.shutdown.now();
        // A new connection gets the head timeout to send its first request; a kept-alive one may idle longer.
        let mut deadline = now.after(if first { head_timeout } else { idle_timeout });
        let started = !self.rbuf.is_empty();
        if started {
            deadline = deadline.min(now.after(head_timeout));
        }
        let w = Waiting {
            deadline,
            started,
            idle: Idle {
                epoch: self.shutdown.epoch(),
                sheddable_at: sheddable_at(now, shed_after),
            },
            release_at: now.after(RELEASE_IDLE_BUFFERS),
        };
        self.waiting = Some(w);
        w
    }

    /// Goes on with a request that [`answer_at_once`](Self::answer_at_once) could not finish.
    async fn answer_rest(&mut self, rest: AtOnce) -> Result<Option<Stop>, Stop> {
        let (res, answering) = match rest {
            AtOnce::Next => return Ok(None),
            AtOnce::Flush(then) => {
                self.flush().await?;
                return Ok(then);
            }
            AtOnce::Await(call, answering) => (call.await, answering),
            AtOnce::Queue(res, answering) => (res, answering),
            AtOnce::Slow(head) => match self.answer(head).await? {
                Answered::Respond(res, answering) => (res, answering),
                Answered::Done(then) => return Ok(then),
            },
        };
        self.conclude(res, answering).await
    }

    /// Answers the usual request where it is called: no body, a handler that runs at once, a response held in
    /// memory. Everything else is handed back at the point where it has to wait.
    ///
    /// A plain function, not a step of the connection's future: as an `async fn` its hot path lay among the
    /// resume code of every await point (BENCHMARKS.md, "Footprint"), and the usual request has nothing to
    /// wait for.
    fn answer_at_once(&mut self, head: crate::parse::RequestHead) -> AtOnce {
        // A body to frame: the general way.
        if head.framing != BodyFraming::None {
            return AtOnce::Slow(head);
        }
        let (mut req, mut answering) = self.begin(head);
        let resolved = self.service.resolve(&mut req);
        let res = match self.service.call(resolved, &mut req) {
            Call::Ready(Some(res)) => res,
            // The handler's future has taken the request out: only the future goes on.
            call => return AtOnce::Await(call, answering),
        };
        if matches!(res.body(), ResponseBody::Stream { .. }) {
            return AtOnce::Queue(res, answering);
        }
        let status = res.status();
        let streamed = self.queue_response(res, &mut answering);
        debug_assert!(streamed.is_none(), "a body held in memory is queued whole");
        if answering.log.is_some() {
            log_access(answering.log.take(), status);
        }
        self.next_step(&answering)
    }

    /// The request of `head`, and what answering it starts from (with the access log's entry when it is on).
    /// Always inlined: called, its returned pair cost the usual request ~65 instructions (`cost.sh`).
    #[inline(always)]
    fn begin(&self, head: crate::parse::RequestHead) -> (Request, Answering) {
        let logs = tracing::enabled!(tracing::Level::INFO);
        let started = if logs { Some(Instant::now()) } else { None };
        let mut answering = Answering {
            is_head: head.method == Method::HEAD,
            http11: head.version == Version::Http11,
            keep_alive: head.keep_alive && !self.shutdown.is_set(),
            linger: false,
            log: None,
        };
        let req = Request::from_head(head, self.peer);
        if let Some(t) = started {
            answering.log = access_entry(&req, t);
        }
        (req, answering)
    }

    /// After a response is queued: whether the batch must be written, and whether the connection goes on.
    fn next_step(&self, answering: &Answering) -> AtOnce {
        if !answering.keep_alive {
            return AtOnce::Flush(Some(if answering.linger || !self.rbuf.is_empty() {
                Stop::Linger
            } else {
                Stop::Close
            }));
        }
        if self.wbuf.len() >= MAX_BATCH {
            return AtOnce::Flush(None);
        }
        AtOnce::Next
    }

    /// Queues the response (writing a streamed body out), logs the request, and writes the batch if the
    /// connection ends or the batch is full.
    async fn conclude(&mut self, res: Response, mut a: Answering) -> Result<Option<Stop>, Stop> {
        let status = res.status();
        // A streamed body is the one part of a response that may wait: boxed, so its state does not weigh on
        // every connection's future.
        if let Some((stream, len, framing)) = self.queue_response(res, &mut a) {
            Box::pin(self.write_stream(stream, len, framing)).await?;
        }
        log_access(a.log.take(), status);
        match self.next_step(&a) {
            AtOnce::Flush(then) => {
                self.flush().await?;
                Ok(then)
            }
            _ => Ok(None),
        }
    }

    /// Answers a request the usual way cannot: one with a body. Gives back the response to queue, or what the
    /// connection does next when the request was refused.
    async fn answer(&mut self, head: crate::parse::RequestHead) -> Result<Answered, Stop> {
        let expect_continue = head.expect_continue;
        let framing = head.framing;
        let (mut req, mut answering) = self.begin(head);
        let resolved = self.service.resolve(&mut req);

        let pump = match self.take_body(framing, &mut req, expect_continue) {
            Ok(pump) => pump,
            Err(e) => {
                let (is_head, log) = (answering.is_head, answering.log.take());
                return Box::pin(self.refuse(e, is_head, log))
                    .await
                    .map(Answered::Done);
            }
        };

        if pump.is_some() && expect_continue {
            // A `100 Continue` goes straight to the socket: the responses queued before it must go first, or the
            // client would take it for an earlier request's (found by the connection fuzz target).
            self.flush().await?;
        }
        let res = match pump {
            None => self.service.call(resolved, &mut req).await,
            // A body still arriving: rarer and heavier, so boxed (its state would weigh on every connection).
            Some(pump) => {
                let (res, drained) = Box::pin(self.call_streaming(resolved, req, pump)).await;
                if !drained {
                    answering.keep_alive = false;
                    answering.linger = true;
                }
                res
            }
        };
        Ok(Answered::Respond(res, answering))
    }

    /// Takes a body that is already buffered, refuses one that is too large (`Err`), or sets up the pump that
    /// feeds the rest to the handler as it arrives. Not inlined: most requests have no body, and this code would
    /// lie among `answer`'s hot path (BENCHMARKS.md, "Footprint").
    #[inline(never)]
    fn take_body(
        &mut self,
        framing: BodyFraming,
        req: &mut Request,
        expect_continue: bool,
    ) -> Result<Option<Box<BodyPump>>, HttpError> {
        let limit = req.body_limit();
        match framing {
            BodyFraming::None => Ok(None),
            BodyFraming::Length(n) if n > limit => Err(HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body of {n} bytes exceeds the limit of {limit} bytes"),
            )),
            BodyFraming::Length(n) if self.rbuf.len() as u64 >= n => {
                req.set_body(Body::from_bytes(self.rbuf.split_to(n as usize).freeze()));
                Ok(None)
            }
            BodyFraming::Length(n) => {
                let (body, feed) = Body::streaming(limit);
                req.set_body(body);
                Ok(Some(Box::new(BodyPump::new(
                    feed,
                    BodyDecoder::Length(n),
                    expect_continue,
                    limit,
                ))))
            }
            BodyFraming::Chunked => {
                match chunked::decode_complete(&mut self.rbuf, self.service.limits.chunked(), limit)
                {
                    Ok(Some(body)) => {
                        req.set_body(Body::from_bytes(body));
                        Ok(None)
                    }
                    Ok(None) => {
                        let (body, feed) = Body::streaming(limit);
                        req.set_body(body);
                        let decoder = ChunkedDecoder::new(self.service.limits.chunked());
                        Ok(Some(Box::new(BodyPump::new(
                            feed,
                            BodyDecoder::Chunked(decoder),
                            expect_continue,
                            limit,
                        ))))
                    }
                    Err(e) => Err(chunked_error(e, limit)),
                }
            }
        }
    }

    /// Runs the handler while feeding it the body as it arrives; then drains what it left unread if that is
    /// small. Returns the response and whether the connection is still framed (else it must close).
    async fn call_streaming(
        &mut self,
        resolved: crate::app::Resolved,
        mut req: Request,
        mut pump: Box<BodyPump>,
    ) -> (Response, bool) {
        let res = {
            let mut call = pin!(self.service.call(resolved, &mut req));
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
        };
        if pump.finished() {
            return (res, true);
        }
        // A body the handler left unread: drain it if small, else close (the next request would be misparsed).
        let drainable = !pump.failed
            && (!pump.expect_continue || pump.continue_sent == CONTINUE.len())
            && pump.decoder.remaining_hint() <= self.service.limits.max_drain_bytes;
        let drained = drainable
            && pump
                .drain(&mut self.io, &mut self.rbuf, &self.service.limits)
                .await;
        (res, drained)
    }

    /// Answers a request refused after its head was read (the body is not read: close after). Rare: callers box
    /// it, so its state does not weigh on every connection's future.
    async fn refuse(
        &mut self,
        e: HttpError,
        is_head: bool,
        log: Option<(Method, String, Instant)>,
    ) -> Result<Option<Stop>, Stop> {
        self.queue_error(&e, is_head);
        log_access(log, e.status());
        self.flush().await?;
        Ok(Some(Stop::Linger))
    }

    /// A complete head at the front of the read buffer (or the refusal of one); `None` until more bytes come.
    fn buffered_head(&mut self) -> Option<Result<crate::parse::RequestHead, HttpError>> {
        self.parser
            .parse(&mut self.rbuf, &self.service.limits)
            .transpose()
    }

    /// Gives the buffers of an idle connection back (nothing is buffered: `poll_turn` checked). The next read
    /// allocates a small one again.
    fn release_buffers(&mut self) {
        debug_assert!(self.rbuf.is_empty() && self.wbuf.is_empty());
        self.rbuf = BytesMut::new();
        self.wbuf = Vec::new();
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
        let prefix = &self.service.head_prefix;
        encode_head_cached(
            &mut self.wbuf,
            res,
            framing,
            connection,
            self.shutdown.unix_secs(),
            prefix,
        );
    }

    /// Encodes `res` into the write buffer, settling whether the connection is kept alive after it; a streamed
    /// body is given back, for the caller to write out right away.
    fn queue_response(
        &mut self,
        mut res: Response,
        a: &mut Answering,
    ) -> Option<(crate::response::BodyStream, Option<u64>, Framing)> {
        let (is_head, http11) = (a.is_head, a.http11);
        let keep_alive = &mut a.keep_alive;
        // Shutdown may have started while the handler ran: this response is the connection's last.
        if res.asks_to_close() || self.shutdown.is_set() {
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
            return None;
        }
        match res.take_body() {
            ResponseBody::Empty => None,
            ResponseBody::Full(b) => {
                self.wbuf.extend_from_slice(&b);
                None
            }
            ResponseBody::Stream { stream, len } => Some((stream, len, framing)),
        }
    }

    /// Writes a streamed body (after the queued responses and this one's head), chunked or of a known length.
    async fn write_stream(
        &mut self,
        mut stream: crate::response::BodyStream,
        len: Option<u64>,
        framing: Framing,
    ) -> Result<(), Stop> {
        self.flush().await?;
        let mut sent = 0u64;
        while let Some(chunk) = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await {
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
                tracing::error!("response body stream shorter than its announced length; closing");
                return Err(Stop::Close);
            }
        }
        if framing == Framing::Chunked {
            self.wbuf.extend_from_slice(b"0\r\n\r\n");
        }
        Ok(())
    }

    /// Writes `data` whole. Each write must make progress within `write_timeout`, and once `write_timeout` has
    /// passed since a write of this batch (or streamed response) first had to wait, the client must have read
    /// at `min_send_rate` on average: a client that reads a trickle cannot hold a connection (and a streamed
    /// body) forever. Writes that complete at once read no clock.
    async fn write_all_bytes(&mut self, mut data: &[u8]) -> Result<(), Stop> {
        let limits = &self.service.limits;
        while !data.is_empty() {
            // Most writes complete at once: try without a timer first, and arm one only for a write that would
            // block.
            let n = write_at_once(&mut self.io, self.transport, data)?;
            if n > 0 {
                data = &data[n..];
                self.sent += n as u64;
                continue;
            }
            let now = Deadline::now();
            let started = *self.send_blocked_since.get_or_insert(now);
            let mut deadline = now + limits.write_timeout;
            if let Some(secs) = self.sent.checked_div(limits.min_send_rate) {
                deadline = deadline
                    .min(started + limits.write_timeout + std::time::Duration::from_secs(secs));
            }
            match timeout_at(deadline, transport::write(&mut self.io, data)).await {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => return Err(Stop::Close),
                Ok(Ok(n)) => {
                    data = &data[n..];
                    self.sent += n as u64;
                }
            }
        }
        Ok(())
    }

    /// Writes every queued response.
    async fn flush(&mut self) -> Result<(), Stop> {
        match self.flush_at_once()? {
            None => Ok(()),
            Some(written) => self.finish_flush(written).await,
        }
    }

    /// Writes what the socket takes of the queued responses now, without waiting: `Ok(None)` when all went (most
    /// batches go whole in one write), `Ok(Some(n))` when only `n` bytes did and `finish_flush` must write the
    /// rest, with its timeouts. Always inlined into the turn, which runs it for every batch.
    #[inline(always)]
    fn flush_at_once(&mut self) -> Result<Option<usize>, Stop> {
        if self.wbuf.is_empty() {
            return Ok(None);
        }
        let written = write_at_once(&mut self.io, self.transport, &self.wbuf)?;
        if written == self.wbuf.len() {
            self.batch_written();
            return Ok(None);
        }
        Ok(Some(written))
    }

    /// Writes the rest of the queued responses, of which `written` bytes went at once.
    async fn finish_flush(&mut self, written: usize) -> Result<(), Stop> {
        let buf = std::mem::take(&mut self.wbuf);
        self.sent = written as u64;
        let r = self.write_all_bytes(&buf[written..]).await;
        self.wbuf = buf;
        self.batch_written();
        r
    }

    /// Ends a batch whose bytes are all written: the rate window covers one batch (or one streamed response).
    fn batch_written(&mut self) {
        self.send_blocked_since = None;
        self.sent = 0;
        self.wbuf.clear();
        if self.wbuf.capacity() > 4 * MAX_BATCH {
            self.wbuf = Vec::new();
        }
    }

    /// Half-closes, then reads and discards for a moment so the client gets our last response before the close.
    async fn linger(&mut self) {
        let _ = timeout(
            std::time::Duration::from_millis(100),
            transport::shutdown(&mut self.io),
        )
        .await;
        // The read buffer is the scratch space (an array here would sit in every connection's future).
        let deadline = Deadline::now() + std::time::Duration::from_secs(1);
        let mut total = 0usize;
        while total < 256 * 1024 {
            self.rbuf.clear();
            self.rbuf.reserve(4096);
            match timeout_at(deadline, transport::read_buf(&mut self.io, &mut self.rbuf)).await {
                Ok(Ok(n)) if n > 0 => total += n,
                _ => break,
            }
        }
    }
}

/// What the access log keeps of a request until it is answered.
#[cold]
#[inline(never)]
fn access_entry(req: &Request, t: Instant) -> Option<(Method, String, Instant)> {
    Some((req.method(), req.path().to_string(), t))
}

/// Logs an answered request, when the access log is on.
#[cold]
#[inline(never)]
fn log_access(log: Option<(Method, String, Instant)>, status: StatusCode) {
    if let Some((method, path, t)) = log {
        tracing::info!(target: "micro_http::access", "{method} {path} {} {:?}", status.as_u16(), t.elapsed());
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
#[cfg(test)]
mod memory {
    /// Every connection, idle or not, holds its whole future: 10,000 idle connections must fit in ~4 KiB each
    /// (BENCHMARKS.md), so the future's size is pinned here. Rare, heavy paths (refusals, streamed bodies in
    /// and out) are boxed to keep it so; if this fails, box the new heavy state or split the `async fn`.
    #[tokio::test]
    async fn a_connection_future_stays_small() {
        let svc = crate::App::new().build().unwrap();
        let state = crate::shutdown::ShutdownState::new().unwrap();
        let (io, _peer) = tokio::io::duplex(64);
        let future = super::serve(io, None, svc, state.watch(), super::Transport::plain());
        let size = std::mem::size_of_val(&future);
        // 304 bytes over a duplex stream since the usual work became a poll function (`poll_turn`) and
        // everything else, the lingering close included, is boxed; 1,4xx before.
        assert!(size <= 512, "the connection future grew to {size} bytes");
    }
}
