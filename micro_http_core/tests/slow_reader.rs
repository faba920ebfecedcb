//! A client that reads a response only a trickle at a time is cut once it falls below `min_send_rate`,
//! even though every single write makes progress within `write_timeout`.
mod common;
use common::*;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn trickle_reader_is_cut_below_the_minimum_send_rate() {
    let pulls = BigPulls::default();
    let srv = start(hostile_app(pulls.clone()).with_limits(|l| {
        l.write_timeout = Duration::from_secs(3);
        l.min_send_rate = 4 * 1024 * 1024;
    }))
    .await;
    let mut s = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let t = Instant::now();
    let mut buf = vec![0u8; 64 * 1024];
    let mut pulled_at_6s = None;
    // ~0.8 MB/s: fast enough that every server write makes progress well within write_timeout, but below
    // 4 MiB/s. After the
    // cut the kernel still hands us what it buffered, so the cut shows as the server no longer producing.
    while t.elapsed() < Duration::from_secs(9) {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(_)) => {}
            Err(_) => panic!("no data for 5 s"),
        }
        if pulled_at_6s.is_none() && t.elapsed() >= Duration::from_secs(6) {
            pulled_at_6s = Some(pulls.0.load(Ordering::Relaxed));
        }
        tokio::time::sleep(Duration::from_millis(80)).await;
    }
    let at_6s = pulled_at_6s.expect("read for 6 s");
    let at_end = pulls.0.load(Ordering::Relaxed);
    assert_eq!(
        at_6s, at_end,
        "the server kept producing for the trickling reader"
    );
    assert!(
        at_end < BIG_CHUNKS,
        "the whole body was produced: {at_end} chunks"
    );
    // Everyone else is still served.
    assert_eq!(exchange(srv.addr, get("/plaintext")).await.status, 200);
}
