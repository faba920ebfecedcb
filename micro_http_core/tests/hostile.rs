//! Hostile clients: slowloris, a reader that never reads, random bytes, and panics under load (the connection
//! flood is in `flood.rs`, the request-smuggling matrix in `smuggling.rs`). Each test says the behaviour it pins; every network await is under a timeout.
//!
//! The tests here load both cores and one of them measures latency, so they run one at a time (`serial`).
mod common;
use common::*;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Runs the tests of this file one at a time: they measure latency or saturate the CPU. (An async mutex: each
/// test has its own runtime, and the guard is held across its awaits.)
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

async fn connect(addr: SocketAddr) -> std::io::Result<TcpStream> {
    let stream = timeout(Duration::from_secs(5), TcpStream::connect(addr))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

// ---- 1. Slowloris ----

/// What one slowloris connection saw.
struct Cut {
    /// From connect to the first byte of the answer or EOF.
    after: Duration,
    /// The status answered, if any (EOF without an answer is `None`).
    status: Option<u16>,
}

/// Trickles an endless request head one byte every 200 ms until the server answers or closes.
async fn slowloris(addr: SocketAddr, give_up: Duration) -> std::io::Result<Cut> {
    let mut stream = connect(addr).await?;
    let start = Instant::now();
    let head = b"GET /plaintext HTTP/1.1\r\nHost: t\r\nX-Trickle: ";
    let mut sent = 0usize;
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    let mut answer = Vec::new();
    let mut tmp = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + give_up;
    loop {
        tokio::select! {
            r = stream.read(&mut tmp) => {
                let n = r.unwrap_or(0);
                answer.extend_from_slice(&tmp[..n]);
                if n == 0 || answer.len() >= 12 {
                    let status = std::str::from_utf8(answer.get(9..12).unwrap_or(b""))
                        .ok()
                        .and_then(|s| s.parse().ok());
                    return Ok(Cut { after: start.elapsed(), status });
                }
            }
            _ = tick.tick() => {
                let byte = head.get(sent).copied().unwrap_or(b'a');
                sent += 1;
                // The server may already have closed its side; the read reports that.
                let _ = tokio::time::timeout_at(deadline, stream.write_all(&[byte])).await;
            }
            _ = tokio::time::sleep_until(deadline) => {
                return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "never cut"));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_connections_are_cut_at_the_head_timeout_while_others_are_served_fast() {
    let _serial = serial().await;
    const ATTACKERS: usize = 500;
    let head_timeout = Duration::from_secs(1);
    // Each attacker connection and its server side, plus those lingering after the cut.
    assert!(
        raise_fd_limit(4 * ATTACKERS as u64 + 256),
        "cannot open enough files"
    );
    let srv = start(hostile_app(BigPulls::default()).with_limits(|l| {
        l.head_timeout = head_timeout;
        l.idle_timeout = Duration::from_secs(30);
    }))
    .await;

    // The attack lasts 3 s: every attacker reconnects as soon as it is cut, so the server is under it throughout.
    let attack = Duration::from_secs(3);
    let started = Instant::now();
    let give_up = head_timeout + Duration::from_secs(1);
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|_| {
            let addr = srv.addr;
            tokio::spawn(async move {
                let mut cuts = Vec::new();
                while started.elapsed() < attack {
                    cuts.push(slowloris(addr, give_up).await);
                }
                cuts
            })
        })
        .collect();

    // The normal client: sequential requests, each on a new connection (the resource slowloris goes after),
    // during the whole attack.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut latencies = Vec::new();
    while started.elapsed() < attack {
        let t = Instant::now();
        let r = timeout(
            Duration::from_secs(5),
            exchange(srv.addr, get("/plaintext")),
        )
        .await
        .expect("answered under slowloris");
        latencies.push(t.elapsed());
        assert_eq!((r.status, r.text().as_str()), (200, "Hello, World!"));
    }

    let (mut cut, mut answered_408, mut errors, mut slowest) = (0, 0, Vec::new(), Duration::ZERO);
    for a in attackers {
        for c in timeout(Duration::from_secs(10), a)
            .await
            .expect("attackers end")
            .unwrap()
        {
            match c {
                Ok(c) => {
                    cut += 1;
                    slowest = slowest.max(c.after);
                    match c.status {
                        Some(408) => answered_408 += 1,
                        None => {}
                        Some(other) => errors.push(format!("answered {other} instead of 408")),
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
    }
    latencies.sort();
    let p50 = percentile(&latencies, 0.50);
    let p99 = percentile(&latencies, 0.99);
    println!(
        "slowloris: {cut} attack connections cut ({answered_408} with 408, {} by EOF), slowest cut after {slowest:?}; \
         normal client: {} requests, p50 {p50:?}, p99 {p99:?}, max {:?}",
        cut - answered_408,
        latencies.len(),
        latencies.last().unwrap()
    );
    assert!(
        errors.is_empty(),
        "{} attack connections failed: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(cut >= ATTACKERS, "only {cut} attack connections");
    assert!(
        slowest <= give_up,
        "a slowloris connection was held {slowest:?}"
    );
    assert!(
        latencies.len() >= 20,
        "only {} normal requests in {attack:?}",
        latencies.len()
    );
    assert!(
        p99 < Duration::from_millis(50),
        "p99 {p99:?} under slowloris"
    );
    assert!(!srv.task.is_finished());
}

// ---- 2. Slow reader ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_that_never_reads_is_cut_at_the_write_timeout_with_bounded_buffering() {
    let _serial = serial().await;
    let pulls = BigPulls::default();
    let write_timeout = Duration::from_secs(1);
    let srv =
        start(hostile_app(pulls.clone()).with_limits(|l| l.write_timeout = write_timeout)).await;

    let mut stream = connect(srv.addr).await.unwrap();
    let t = Instant::now();
    timeout(
        Duration::from_secs(5),
        stream.write_all(get("/big").as_bytes()),
    )
    .await
    .expect("request written")
    .unwrap();
    // Never read: once the socket buffers are full the server's writes stall, and the stream must not be pulled.
    let settle = write_timeout + Duration::from_secs(2);
    let mut last = (0, Duration::ZERO);
    while t.elapsed() < settle {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let n = pulls.0.load(Ordering::Relaxed);
        if n != last.0 {
            last = (n, t.elapsed());
        }
    }
    let (pulled, stalled_at) = last;

    // Now read everything: a server that had kept the connection would stream the rest; a closed one ends early.
    let mut received = Vec::new();
    let mut tmp = vec![0u8; 256 * 1024];
    let ended = timeout(Duration::from_secs(5), async {
        loop {
            match stream.read(&mut tmp).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&tmp[..n]),
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server never closed the connection of a client that does not read"
    );
    let head = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let body = received.len() - head;
    assert!(
        body <= pulled * BIG_CHUNK,
        "the server was still streaming {settle:?} after the request: not cut at the write timeout"
    );
    // What the stream produced and never reached the kernel was held in user space when the server gave up.
    let held = pulled * BIG_CHUNK - body;
    println!(
        "slow reader: {pulled} of {BIG_CHUNKS} chunks pulled ({} KiB), the last {stalled_at:?} after the request; \
         {body} body bytes were in the socket buffers when the server closed, {held} bytes held in user space",
        pulled * BIG_CHUNK / 1024
    );
    assert!(
        body < BIG_CHUNK * BIG_CHUNKS,
        "the whole body was sent: the connection was not cut"
    );
    assert!(
        held <= BIG_CHUNK,
        "{held} bytes buffered in user space: more than the chunk being written"
    );
    assert!(
        pulled < BIG_CHUNKS / 8,
        "{pulled} chunks pulled: the stream is not back-pressured by the socket"
    );
    assert_eq!(
        pulls.0.load(Ordering::Relaxed),
        pulled,
        "the stream was pulled after the cut"
    );
    assert!(!srv.task.is_finished());
}

// ---- 5. Random bytes ----

const VALID: &[&str] = &[
    "GET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n",
    "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
    "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\n",
    "GET /users/42?x=%20y HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    "PUT /users/7 HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
    "GET /stream HTTP/1.0\r\n\r\n",
    "HEAD /plaintext HTTP/1.1\r\nHost: t\r\n\r\nGET /n/1 HTTP/1.1\r\nHost: t\r\n\r\n",
];

/// Random bytes, or a valid request with a few bytes flipped, inserted, deleted, duplicated or cut off.
fn hostile_bytes(rng: &mut XorShift) -> Vec<u8> {
    if rng.below(4) == 0 {
        return (0..rng.below(2048)).map(|_| rng.next_u64() as u8).collect();
    }
    let mut b = VALID[rng.below(VALID.len())].as_bytes().to_vec();
    for _ in 0..=rng.below(4) {
        if b.is_empty() {
            break;
        }
        let i = rng.below(b.len());
        match rng.below(6) {
            0 => b[i] = rng.next_u64() as u8,
            1 => b.insert(i, b"\r\n :;\t\0\x7f0-9aF"[rng.below(13)]),
            2 => {
                b.remove(i);
            }
            3 => {
                let part = b[i..(i + rng.below(64)).min(b.len())].to_vec();
                b.splice(i..i, part);
            }
            4 => b.truncate(i),
            _ => b[i] ^= 1 << rng.below(8),
        }
    }
    b
}

/// What happened to one blast connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blast {
    /// Sent and closed without reading.
    Dropped,
    /// Sent, half-closed, and the server then closed too.
    ServerClosed,
    /// Sent, half-closed, and the server kept the connection open: a leak.
    ServerKeptOpen,
    /// Could not connect or send.
    Failed,
}

async fn blast_one(addr: SocketAddr, bytes: Vec<u8>, half_close: bool) -> Blast {
    let Ok(mut s) = connect(addr).await else {
        return Blast::Failed;
    };
    if timeout(Duration::from_secs(2), s.write_all(&bytes))
        .await
        .is_err()
    {
        return Blast::Failed;
    }
    if !half_close {
        return Blast::Dropped;
    }
    let _ = timeout(Duration::from_secs(2), s.shutdown()).await;
    // Every path in the server is bounded by a limit of test_limits() (at most ~1.5 s) once the client's side
    // is closed.
    let mut sink = vec![0u8; 16 * 1024];
    let drained = timeout(Duration::from_secs(4), async {
        while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
    if drained.is_ok() {
        Blast::ServerClosed
    } else {
        Blast::ServerKeptOpen
    }
}

async fn random_bytes_blast(connections: usize, seed: u64) {
    let srv = start_default().await;
    let mut rng = XorShift::new(seed);
    let t = Instant::now();
    let window = Arc::new(tokio::sync::Semaphore::new(200));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let permit = window.clone().acquire_owned().await.unwrap();
        let bytes = hostile_bytes(&mut rng);
        let half_close = rng.below(2) == 0;
        let addr = srv.addr;
        tasks.spawn(async move {
            let outcome = blast_one(addr, bytes, half_close).await;
            drop(permit);
            outcome
        });
    }
    let mut counts = std::collections::BTreeMap::new();
    while let Some(o) = tasks.join_next().await {
        *counts.entry(format!("{:?}", o.unwrap())).or_insert(0usize) += 1;
    }
    let blast_time = t.elapsed();
    assert!(
        !srv.task.is_finished(),
        "the server stopped during the blast"
    );

    // Then 1,000 normal requests on 10 keep-alive connections must all succeed.
    let t = Instant::now();
    let clients: Vec<_> = (0..10)
        .map(|i| {
            let addr = srv.addr;
            tokio::spawn(async move {
                let mut c = Client::connect(addr).await;
                for j in 0..100 {
                    c.send(get(&format!("/n/{}", i * 100 + j))).await;
                    let r = c.read_response(false).await;
                    assert_eq!((r.status, r.text()), (200, (i * 100 + j).to_string()));
                }
            })
        })
        .collect();
    for c in clients {
        timeout(Duration::from_secs(30), c)
            .await
            .expect("normal requests in time")
            .unwrap();
    }
    println!(
        "random bytes (seed {seed:#x}): {connections} connections in {blast_time:?}: {counts:?}; then 1000 normal \
         requests in {:?}",
        t.elapsed()
    );
    assert!(
        !counts.contains_key("ServerKeptOpen"),
        "connections left open: {counts:?}"
    );
    assert!(
        !counts.contains_key("Failed"),
        "connections failed: {counts:?}"
    );
    assert!(!srv.task.is_finished(), "the server stopped");
}

/// `HOSTILE_SEED` replays a run.
fn seed() -> u64 {
    std::env::var("HOSTILE_SEED")
        .ok()
        .and_then(|v| u64::from_str_radix(v.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x5eed_cafe_f00d)
}

/// 10,000 connections take about 5 s in a debug build on two cores, so this runs by default.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_bytes_from_10000_connections_leave_the_server_serving() {
    let _serial = serial().await;
    random_bytes_blast(10_000, seed()).await;
}

// ---- 6. Panics under load ----

/// Keeps the thousands of deliberate `/panic` panics out of the output (and their backtraces, with
/// `RUST_BACKTRACE` set, from dominating the run time); every other panic is reported as usual.
fn silence_route_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let report = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&"boom") {
                report(info);
            }
        }));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_under_load_answer_500_and_every_other_request_200() {
    let _serial = serial().await;
    silence_route_panics();
    let srv = start_default().await;
    let run_for = Duration::from_secs(2);
    let started = Instant::now();
    let clients: Vec<_> = (0..8u64)
        .map(|i| {
            let addr = srv.addr;
            tokio::spawn(async move {
                let mut rng = XorShift::new(seed() + i);
                let mut c = FallibleClient::connect(addr, Duration::from_secs(5))
                    .await
                    .unwrap();
                let (mut panics, mut plain, mut wrong) = (0usize, 0usize, Vec::new());
                while started.elapsed() < run_for {
                    // Pipeline a few at a time, so panics land in the middle of batches.
                    let batch: Vec<bool> = (0..=rng.below(4)).map(|_| rng.below(2) == 0).collect();
                    let raw: String = batch
                        .iter()
                        .map(|&p| get(if p { "/panic" } else { "/plaintext" }))
                        .collect();
                    c.send(raw).await.unwrap();
                    for &p in &batch {
                        match c.read(false).await {
                            Ok(r) if p && r.status == 500 => panics += 1,
                            Ok(r) if !p && r.status == 200 && r.text() == "Hello, World!" => {
                                plain += 1
                            }
                            other => wrong.push(format!(
                                "{} -> {other:?}",
                                if p { "/panic" } else { "/plaintext" }
                            )),
                        }
                    }
                    if !wrong.is_empty() {
                        break;
                    }
                }
                (panics, plain, wrong)
            })
        })
        .collect();
    let (mut panics, mut plain, mut wrong) = (0, 0, Vec::new());
    for c in clients {
        let (p, n, w) = timeout(Duration::from_secs(20), c)
            .await
            .expect("clients end")
            .unwrap();
        panics += p;
        plain += n;
        wrong.extend(w);
    }
    println!(
        "panics under load: {panics} x 500 for /panic, {plain} x 200 for /plaintext in {run_for:?}"
    );
    assert!(wrong.is_empty(), "unexpected answers: {wrong:?}");
    assert!(
        panics > 100 && plain > 100,
        "too little load: {panics} panics, {plain} plain"
    );
    assert!(!srv.task.is_finished());
}
