//! The access log (`micro_http::access`, INFO): one line per answered request, whichever way the connection
//! answered it — at once (a response decided without a handler's future), after a handler's future, or after
//! a request body. Its own test binary: it installs a process-wide subscriber, which the worker threads see.
mod common;
use common::*;

use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Keeps the message of every `micro_http::access` event.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<String>>>);

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::INFO
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if event.metadata().target() == "micro_http::access" {
            let mut m = Message(String::new());
            event.record(&mut m);
            self.0.lock().unwrap().push(m.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn every_kind_of_answer_is_logged_once() {
    let capture = Capture::default();
    tracing::subscriber::set_global_default(capture.clone()).expect("the only subscriber");
    let srv = start_default().await;
    let mut c = Client::connect(srv.addr).await;
    // A handler's future; no route (answered at once); 405 (at once); a request body (the general way).
    c.send(get("/plaintext")).await;
    assert_eq!(c.read_response(false).await.status, 200);
    c.send(get("/no/such/path")).await;
    assert_eq!(c.read_response(false).await.status, 404);
    c.send("DELETE /plaintext HTTP/1.1\r\nHost: t\r\n\r\n")
        .await;
    assert_eq!(c.read_response(false).await.status, 405);
    c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
        .await;
    let r = c.read_response(false).await;
    assert_eq!((r.status, r.text().as_str()), (200, "hello"));

    let lines = capture.0.lock().unwrap().clone();
    let expected = [
        "GET /plaintext 200",
        "GET /no/such/path 404",
        "DELETE /plaintext 405",
        "POST /echo 200",
    ];
    assert_eq!(lines.len(), expected.len(), "{lines:?}");
    for (line, want) in lines.iter().zip(expected) {
        assert!(
            line.starts_with(&format!("{want} ")),
            "{line:?} is not {want:?} and a duration"
        );
    }
}
