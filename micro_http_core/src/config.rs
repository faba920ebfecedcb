//! Limits and timeouts: every bound the server enforces, with its default and its setting.

use std::time::Duration;

/// Every limit the server enforces on a client. Each has a sane default; set them through
/// [`App::limits`](crate::App::limits) or the individual builder methods.
///
/// ```
/// use micro_http_core::Limits;
/// use std::time::Duration;
///
/// let limits = Limits {
///     head_timeout: Duration::from_secs(5),
///     ..Limits::default()
/// };
/// assert_eq!(limits.max_head_bytes, 64 * 1024);
/// ```
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request head (request line and header fields) in bytes; larger -> 431. Default 64 KiB.
    pub max_head_bytes: usize,
    /// Most header fields in one request; more -> 431. Default 100.
    pub max_headers: usize,
    /// Longest single header field line in bytes; longer -> 431. Default 8 KiB.
    pub max_header_line_bytes: usize,
    /// Longest request-target in bytes; longer -> 414. Default 8 KiB.
    pub max_target_bytes: usize,
    /// Largest request body in bytes unless a route sets its own; larger -> 413 (before reading it when the
    /// length is announced). Default 2 MiB.
    pub max_body_bytes: u64,
    /// Longest chunk-size line (with extensions) in a chunked body. Default 4 KiB.
    pub max_chunk_line_bytes: usize,
    /// Largest trailer section of a chunked body. Default 8 KiB.
    pub max_trailer_bytes: usize,
    /// How much of a body the handler did not read is read and discarded to keep the connection; a larger
    /// unread body closes the connection instead. Default 64 KiB.
    pub max_drain_bytes: u64,
    /// Time allowed to receive a whole request head, from its first byte (or from accept); after it -> 408 and
    /// close. Cuts slowloris clients. Default 10 s.
    pub head_timeout: Duration,
    /// Time a keep-alive connection may sit idle between requests before it is closed. Default 60 s.
    ///
    /// These two, and `shed_idle_after`, are kept on a coarse clock that advances every 100 ms, so that waiting
    /// for a request reads no system clock and arms no timer: each passes between its duration and 200 ms after.
    pub idle_timeout: Duration,
    /// Time allowed for any single read of a request body to make progress; after it -> 408 and close.
    /// Default 10 s.
    pub body_timeout: Duration,
    /// Slowest average rate, in bytes per second, at which a request body may arrive once `body_timeout` has
    /// passed since the handler started reading it; slower -> 408 and close. Cuts clients that trickle a body a
    /// byte at a time to hold a connection. Default 256 B/s.
    pub min_body_rate: u64,
    /// Time allowed for any single write of a response to make progress (a client that does not read);
    /// after it the connection is closed. Default 30 s.
    pub write_timeout: Duration,
    /// Slowest average rate, in bytes per second, at which a client must read a response once `write_timeout`
    /// has passed since a write of it first had to wait; slower -> the connection is closed. Default 256 B/s.
    pub min_send_rate: u64,
    /// Most connections served at once. When all are taken, connections idle for `shed_idle_after` are closed
    /// to make room; further clients wait in the listen backlog. Lowered at start to what the process's
    /// open-file limit allows (the soft limit is first raised to the hard one). Default 25,000.
    pub max_connections: usize,
    /// When every `max_connections` slot is taken, connections that have waited this long for a request with
    /// nothing of one received (fresh or kept-alive) are closed to make room (RFC 9112 §9.5 lets a server
    /// close an idle connection at any time), so a flood of idle connections cannot lock other clients out.
    /// `None`: never; further clients wait until a connection ends. Default 1 s.
    pub shed_idle_after: Option<Duration>,
    /// Time in-flight requests get to finish after shutdown starts. Default 30 s.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_header_line_bytes: 8 * 1024,
            max_target_bytes: 8 * 1024,
            max_body_bytes: 2 * 1024 * 1024,
            max_chunk_line_bytes: 4 * 1024,
            max_trailer_bytes: 8 * 1024,
            max_drain_bytes: 64 * 1024,
            head_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            min_body_rate: 256,
            write_timeout: Duration::from_secs(30),
            min_send_rate: 256,
            max_connections: 25_000,
            shed_idle_after: Some(Duration::from_secs(1)),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl Limits {
    pub(crate) fn chunked(&self) -> crate::parse::chunked::ChunkedLimits {
        crate::parse::chunked::ChunkedLimits {
            max_line: self.max_chunk_line_bytes,
            max_trailers: self.max_trailer_bytes,
        }
    }
}
