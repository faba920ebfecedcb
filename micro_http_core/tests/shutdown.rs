//! Graceful shutdown: stop accepting, finish in-flight requests, close idle connections, return.
mod common;
use common::*;
use std::time::Duration;

#[tokio::test]
async fn in_flight_request_finishes_and_idle_connections_close() {
    let srv = start_default().await;
    let mut idle = Client::connect(srv.addr).await;
    idle.send(get("/plaintext")).await;
    assert_eq!(idle.read_response(false).await.status, 200);

    let mut busy = Client::connect(srv.addr).await;
    busy.send(get("/slow")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    srv.handle.shutdown();

    let r = busy.read_response(false).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "slow done");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(idle.is_closed().await);
    let done = tokio::time::timeout(Duration::from_secs(3), srv.task).await;
    assert!(
        matches!(done, Ok(Ok(Ok(())))),
        "server did not stop: {done:?}"
    );
    // No longer accepting.
    assert!(tokio::net::TcpStream::connect(srv.addr).await.is_err());
}
