//! The ways to run a server (`Workers`): per-core single-threaded runtimes on `SO_REUSEPORT` listeners (the
//! default), a given number of them, or the caller's runtime. Each serves, spreads connections, and shuts down.
mod common;
use common::*;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use micro_http_core::{Method, Request, Workers};

/// `test_app()` plus `/thread`, which records the name of the thread that ran it.
fn app(workers: Workers, seen: Arc<Mutex<HashSet<String>>>) -> micro_http_core::App {
    test_app()
        .route(Method::GET, "/thread", move |_req: Request| {
            let seen = seen.clone();
            async move {
                let name = std::thread::current().name().unwrap_or("?").to_string();
                seen.lock().unwrap().insert(name.clone());
                name
            }
        })
        .workers(workers)
}

/// 40 connections with 3 requests each, all at once; returns the threads that answered.
async fn load(workers: Workers) -> HashSet<String> {
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let srv = start(app(workers, seen.clone())).await;
    let clients: Vec<_> = (0..40)
        .map(|_| {
            tokio::spawn(async move {
                let mut c = Client::connect(srv.addr).await;
                for _ in 0..3 {
                    c.send(get("/thread")).await;
                    assert_eq!(c.read_response(false).await.status, 200);
                }
            })
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
    srv.handle.shutdown();
    let done = tokio::time::timeout(Duration::from_secs(5), srv.task).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "server did not stop: {done:?}"
    );
    assert!(
        tokio::net::TcpStream::connect(srv.addr).await.is_err(),
        "still accepting after shutdown"
    );
    let seen = seen.lock().unwrap().clone();
    seen
}

#[tokio::test]
async fn per_thread_workers_share_the_connections_and_each_runs_its_own_connections() {
    let seen = load(Workers::Threads(3)).await;
    assert!(
        seen.iter().all(|t| t.starts_with("micro-http-")),
        "handlers ran off the worker threads: {seen:?}"
    );
    // The kernel spreads 40 connections over 3 listeners (the chance that all land on one is 3^-39).
    assert!(
        seen.len() >= 2,
        "one worker took every connection: {seen:?}"
    );
}

#[tokio::test]
async fn a_single_worker_thread_serves_everything() {
    let seen = load(Workers::Threads(1)).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_runtime_serves_when_asked() {
    let seen = load(Workers::Caller).await;
    assert!(
        !seen.iter().any(|t| t.starts_with("micro-http-")),
        "a worker thread was started: {seen:?}"
    );
}

#[tokio::test]
async fn the_default_is_a_worker_per_core() {
    let seen = load(Workers::default()).await;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(seen.len() <= cores, "{seen:?} on {cores} cores");
    assert!(
        seen.iter().all(|t| t.starts_with("micro-http-")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn dropping_the_run_future_stops_the_workers() {
    let srv = start(test_app().workers(Workers::Threads(2))).await;
    assert_eq!(exchange(srv.addr, get("/plaintext")).await.status, 200);
    srv.task.abort();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(srv.addr).await.is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the workers still accept after the run future was dropped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `run_until`'s own signal (not a `ShutdownHandle`) stops the server, whichever way it runs: on the caller's
/// runtime and on worker threads. The run future returns `Ok`, and nothing accepts any more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_signal_given_to_run_until_stops_the_server_in_every_mode() {
    for workers in [Workers::Caller, Workers::Threads(2)] {
        let server = test_app()
            .workers(workers)
            .bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = server.local_addr();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server.run_until(async {
            let _ = rx.await;
        }));
        assert_eq!(exchange(addr, get("/plaintext")).await.status, 200);
        // A keep-alive connection that stays open, idle, over the signal: it must not hold the server up.
        let mut idle = Client::connect(addr).await;
        idle.send(get("/plaintext")).await;
        assert_eq!(idle.read_response(false).await.status, 200);
        tx.send(()).unwrap();
        let done = tokio::time::timeout(Duration::from_secs(5), task).await;
        assert!(
            matches!(done, Ok(Ok(Ok(())))),
            "{workers:?}: the server did not stop on its signal: {done:?}"
        );
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "{workers:?}: still accepting after the signal"
        );
    }
}
