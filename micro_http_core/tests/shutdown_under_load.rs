//! Graceful shutdown while 16 keep-alive clients keep sending: no response is cut, every connection ends at a
//! response boundary, in-flight requests finish with `connection: close`, and the server returns in time.
mod common;
use common::*;

use std::time::{Duration, Instant};

/// One request of one client, as the client saw it.
#[derive(Debug)]
struct Exchange {
    slow: bool,
    sent_at: Instant,
    outcome: Outcome,
}

#[derive(Debug)]
enum Outcome {
    /// A complete, correct response; `close` if it carried `connection: close`.
    Answered { close: bool },
    /// The request could not even be written: the server had closed.
    NotWritten,
    /// Written, and the server closed the connection (EOF, not a reset) before any byte of a response.
    Unanswered,
    /// A response that started and did not finish, or a wrong one.
    Broken(String),
}

const SLOW_MS: u64 = 200;

/// Sends requests one at a time on one keep-alive connection until the connection ends.
async fn client(addr: std::net::SocketAddr, id: u64) -> Vec<Exchange> {
    let mut rng = XorShift::new(0x5d0_0000 + id);
    let mut c = FallibleClient::connect(addr, Duration::from_secs(5))
        .await
        .expect("connect before shutdown");
    let mut log = Vec::new();
    loop {
        // Odd clients mix in slow requests (in flight at the shutdown); even ones only fast ones (idle or
        // racing their next request against the close).
        let slow = id % 2 == 1 && rng.below(4) == 0;
        let path = if slow {
            format!("/sleep/{SLOW_MS}")
        } else {
            "/plaintext".to_string()
        };
        let sent_at = Instant::now();
        if c.send(get(&path)).await.is_err() {
            log.push(Exchange {
                slow,
                sent_at,
                outcome: Outcome::NotWritten,
            });
            return log;
        }
        let outcome = match c.read(false).await {
            Ok(r) => {
                let want = if slow { "slept" } else { "Hello, World!" };
                if r.status == 200 && r.text() == want {
                    Outcome::Answered {
                        close: r.header("connection") == Some("close"),
                    }
                } else {
                    Outcome::Broken(format!("{} {:?}", r.status, r.text()))
                }
            }
            Err(ReadError::Closed) => Outcome::Unanswered,
            Err(ReadError::Reset) => Outcome::Broken("reset instead of closed".into()),
            Err(e) => Outcome::Broken(format!("{e:?}")),
        };
        let done = !matches!(outcome, Outcome::Answered { close: false });
        log.push(Exchange {
            slow,
            sent_at,
            outcome,
        });
        if done {
            return log;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_cuts_no_response_and_finishes_in_flight_requests() {
    let grace = Duration::from_secs(5);
    let srv = start(hostile_app(BigPulls::default()).with_limits(|l| {
        l.shutdown_grace = grace;
        l.idle_timeout = Duration::from_secs(30);
    }))
    .await;
    let clients: Vec<_> = (0..16)
        .map(|id| tokio::spawn(client(srv.addr, id)))
        .collect();

    tokio::time::sleep(Duration::from_millis(500)).await;
    srv.handle.shutdown();
    // Taken after the flag is set, so a request sent after it was surely read after it.
    let shutdown_at = Instant::now();
    let stopped = tokio::time::timeout(grace + Duration::from_secs(2), srv.task).await;
    let stop_time = shutdown_at.elapsed();
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "server task: {stopped:?}"
    );
    assert!(stop_time < grace, "the server took {stop_time:?} to stop");

    let (mut sent, mut answered, mut unanswered, mut not_written) = (0, 0, 0, 0);
    let (mut ended_with_close, mut ended_idle, mut in_flight_slow, mut broken) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for (id, c) in clients.into_iter().enumerate() {
        let log = tokio::time::timeout(Duration::from_secs(10), c)
            .await
            .expect("client ends")
            .unwrap();
        let (last, before) = log.split_last().expect("at least one request");
        // Every response but the last is complete and keeps the connection.
        for e in before {
            sent += 1;
            answered += 1;
            if !matches!(e.outcome, Outcome::Answered { close: false }) {
                problems.push(format!("client {id}: {e:?} before the last request"));
            }
            if e.sent_at > shutdown_at {
                problems.push(format!(
                    "client {id}: a request sent after shutdown kept the connection"
                ));
            }
        }
        // Slow requests the server was surely in the middle of at the shutdown (sent well before it, answered
        // after it).
        let mid_handler = |e: &Exchange| {
            e.slow
                && e.sent_at + Duration::from_millis(20) < shutdown_at
                && e.sent_at + Duration::from_millis(SLOW_MS - 20) > shutdown_at
        };
        match &last.outcome {
            Outcome::Answered { close: true } => {
                sent += 1;
                answered += 1;
                ended_with_close += 1;
                in_flight_slow += usize::from(mid_handler(last));
            }
            Outcome::Answered { close: false } => unreachable!("the client goes on after this"),
            Outcome::Unanswered | Outcome::NotWritten => {
                if matches!(last.outcome, Outcome::Unanswered) {
                    sent += 1;
                    unanswered += 1;
                } else {
                    not_written += 1;
                }
                ended_idle += 1;
                // Closed while idle: the request went out after the last response, at about the time the
                // server stopped reading; one the server had surely read must have been answered.
                if mid_handler(last) || last.sent_at + Duration::from_millis(50) < shutdown_at {
                    problems.push(format!(
                        "client {id}: request sent {:?} before shutdown never answered",
                        shutdown_at - last.sent_at
                    ));
                }
            }
            Outcome::Broken(why) => {
                broken += 1;
                problems.push(format!("client {id}: broken response: {why}"));
            }
        }
        if let Some(e) = before.iter().find(|e| mid_handler(e)) {
            problems.push(format!(
                "client {id}: in-flight slow request answered without close: {e:?}"
            ));
        }
    }
    println!(
        "shutdown under load: stopped {stop_time:?} after shutdown(); {sent} requests sent, {answered} answered \
         completely, {broken} cut or wrong, {unanswered} unanswered (written after the server stopped reading), {not_written} not \
         writable; connections: {ended_with_close} ended on a `connection: close` response ({in_flight_slow} of \
         them slow requests in flight), {ended_idle} closed idle at a response boundary"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert_eq!(ended_with_close + ended_idle, 16);
    assert!(
        sent - answered <= 16,
        "more than one unanswered request per connection"
    );
    assert!(
        in_flight_slow > 0,
        "no slow request was in flight at the shutdown: the test proved nothing"
    );
    let reconnect = tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect(srv.addr),
    )
    .await;
    assert!(
        matches!(reconnect, Ok(Err(_))),
        "still accepting: {reconnect:?}"
    );
}
