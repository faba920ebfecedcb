//! [`Body`]: a request body, already in memory or streamed from the connection as the handler reads it.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use http::StatusCode;
use tokio::sync::{mpsc, oneshot};

/// Why a request body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The body is larger than the route's limit (413).
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The client stopped sending in the middle of the body (408).
    Timeout,
    /// The connection ended before the body did (400).
    Incomplete,
    /// The chunked framing was invalid (400).
    Malformed(String),
    /// The body was already taken by another extractor (500: a bug in the handler's arguments).
    AlreadyTaken,
}

impl BodyError {
    /// The status a handler's client gets for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Timeout => StatusCode::REQUEST_TIMEOUT,
            BodyError::Incomplete | BodyError::Malformed(_) => StatusCode::BAD_REQUEST,
            BodyError::AlreadyTaken => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::TooLarge { limit } => {
                write!(f, "request body larger than the limit of {limit} bytes")
            }
            BodyError::Timeout => f.write_str("timed out reading the request body"),
            BodyError::Incomplete => f.write_str("connection closed before the body was complete"),
            BodyError::Malformed(m) => write!(f, "malformed request body: {m}"),
            BodyError::AlreadyTaken => f.write_str("request body already taken"),
        }
    }
}

impl std::error::Error for BodyError {}

/// The body of a request.
///
/// Small bodies that arrived with the head are in memory already; larger ones are read from the connection
/// only when the handler asks (which is also when an `Expect: 100-continue` client is told to send). Either
/// way a body never exceeds the route's size limit.
///
/// Read it whole with [`bytes`](Body::bytes), chunk by chunk with [`chunk`](Body::chunk), or as a
/// [`Stream`].
#[derive(Default)]
pub struct Body {
    kind: Kind,
}

#[derive(Default)]
enum Kind {
    #[default]
    Empty,
    Full(Bytes),
    Streaming(Streaming),
    Taken,
}

struct Streaming {
    rx: mpsc::Receiver<Result<Bytes, BodyError>>,
    /// Fired on the first read: the connection starts reading (and sends `100 Continue`) only then.
    demand: Option<oneshot::Sender<()>>,
    limit: u64,
}

/// The connection's end of a streaming body.
pub(crate) struct BodyFeed {
    pub(crate) tx: mpsc::Sender<Result<Bytes, BodyError>>,
    pub(crate) demand: oneshot::Receiver<()>,
}

impl Body {
    /// An empty body.
    pub fn empty() -> Body {
        Body { kind: Kind::Empty }
    }

    /// A body held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Body {
        let bytes = bytes.into();
        if bytes.is_empty() {
            return Body::empty();
        }
        Body {
            kind: Kind::Full(bytes),
        }
    }

    pub(crate) fn streaming(limit: u64) -> (Body, BodyFeed) {
        let (tx, rx) = mpsc::channel(1);
        let (demand_tx, demand_rx) = oneshot::channel();
        let body = Body {
            kind: Kind::Streaming(Streaming {
                rx,
                demand: Some(demand_tx),
                limit,
            }),
        };
        (
            body,
            BodyFeed {
                tx,
                demand: demand_rx,
            },
        )
    }

    pub(crate) fn taken() -> Body {
        Body { kind: Kind::Taken }
    }

    /// `true` if the body is known to be empty without reading it.
    pub fn is_empty(&self) -> bool {
        matches!(self.kind, Kind::Empty)
    }

    /// The next chunk of the body; `None` at its end.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, BodyError>> {
        std::future::poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Polls for the next chunk; `Ready(None)` at the end.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        match &mut self.kind {
            Kind::Empty => Poll::Ready(None),
            Kind::Taken => {
                self.kind = Kind::Empty;
                Poll::Ready(Some(Err(BodyError::AlreadyTaken)))
            }
            Kind::Full(_) => match std::mem::take(&mut self.kind) {
                Kind::Full(b) => Poll::Ready(Some(Ok(b))),
                _ => Poll::Ready(None),
            },
            Kind::Streaming(s) => {
                if let Some(demand) = s.demand.take() {
                    let _ = demand.send(());
                }
                s.rx.poll_recv(cx)
            }
        }
    }

    /// Reads the whole body into memory (it is bounded by the route's limit).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use micro_http_core::Body;
    /// let body = Body::from_bytes("hello");
    /// assert_eq!(body.bytes().await.unwrap(), "hello");
    /// # });
    /// ```
    pub async fn bytes(mut self) -> Result<Bytes, BodyError> {
        let limit = match &self.kind {
            Kind::Full(_) | Kind::Empty => u64::MAX,
            Kind::Streaming(s) => s.limit,
            Kind::Taken => return Err(BodyError::AlreadyTaken),
        };
        let Some(first) = self.chunk().await.transpose()? else {
            return Ok(Bytes::new());
        };
        let Some(second) = self.chunk().await.transpose()? else {
            return Ok(first);
        };
        let mut all = BytesMut::with_capacity(first.len() + second.len());
        all.extend_from_slice(&first);
        all.extend_from_slice(&second);
        while let Some(chunk) = self.chunk().await.transpose()? {
            if all.len() as u64 + chunk.len() as u64 > limit {
                return Err(BodyError::TooLarge { limit });
            }
            all.extend_from_slice(&chunk);
        }
        Ok(all.freeze())
    }
}

impl Stream for Body {
    type Item = Result<Bytes, BodyError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Empty => f.write_str("Body::Empty"),
            Kind::Full(b) => write!(f, "Body::Full({} bytes)", b.len()),
            Kind::Streaming(_) => f.write_str("Body::Streaming"),
            Kind::Taken => f.write_str("Body::Taken"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streaming_body_signals_demand_then_delivers() {
        let (body, mut feed) = Body::streaming(10);
        assert!(feed.demand.try_recv().is_err());
        let reader = tokio::spawn(body.bytes());
        (&mut feed.demand).await.unwrap();
        feed.tx.send(Ok(Bytes::from_static(b"abc"))).await.unwrap();
        feed.tx.send(Ok(Bytes::from_static(b"def"))).await.unwrap();
        drop(feed.tx);
        assert_eq!(reader.await.unwrap().unwrap(), "abcdef");
    }

    #[tokio::test]
    async fn error_reaches_reader() {
        let (body, feed) = Body::streaming(10);
        let reader = tokio::spawn(body.bytes());
        feed.tx.send(Err(BodyError::Timeout)).await.unwrap();
        assert_eq!(reader.await.unwrap(), Err(BodyError::Timeout));
    }
}
