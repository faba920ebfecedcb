//! The listener: bind, accept with back-pressure, spawn one task per connection, shut down gracefully.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::app::Service;
use crate::conn;
use crate::shutdown::ShutdownState;

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    listener: TcpListener,
    service: Arc<Service>,
    local_addr: SocketAddr,
    shutdown: Arc<ShutdownState>,
}

/// Stops a running [`Server`] gracefully: it stops accepting, lets in-flight requests finish within the grace
/// period, closes idle connections, and then `run` returns.
#[derive(Clone, Debug)]
pub struct ShutdownHandle {
    state: Arc<ShutdownState>,
}

impl ShutdownHandle {
    /// Starts the shutdown.
    pub fn shutdown(&self) {
        self.state.trigger();
    }
}

impl Server {
    pub(crate) async fn bind(
        service: Arc<Service>,
        addr: impl ToSocketAddrs,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        Ok(Server {
            listener,
            service,
            local_addr,
            shutdown: ShutdownState::new(),
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// A handle that shuts this server down.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            state: self.shutdown.clone(),
        }
    }

    /// Serves until Ctrl-C, SIGTERM or [`ShutdownHandle::shutdown`], then shuts down gracefully.
    pub async fn run(self) -> io::Result<()> {
        self.run_until(termination_signal()).await
    }

    /// Serves until `signal` completes (or a [`ShutdownHandle`] fires), then shuts down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) -> io::Result<()> {
        let Server {
            listener,
            service,
            local_addr,
            shutdown,
        } = self;
        tracing::info!("listening on http://{local_addr}");
        let max = connection_budget(service.limits.max_connections);
        let shed_after = service.limits.shed_idle_after;
        let slots = Arc::new(Semaphore::new(max));
        let mut tasks = JoinSet::new();
        let mut stop = shutdown.watch();
        let mut signal = std::pin::pin!(signal);
        let mut backoff = Duration::from_millis(5);

        'accept: loop {
            // Back-pressure: with every slot taken we stop accepting (clients wait in the backlog) and, unless
            // disabled, ask the connections idle long enough to close, again every half `shed_idle_after` while
            // full, so idle connections cannot lock everyone else out.
            let permit = match slots.clone().try_acquire_owned() {
                Ok(p) => p,
                Err(_) => loop {
                    if shed_after.is_some() {
                        shutdown.shed_idle();
                    }
                    let period = shed_after.map_or(Duration::MAX, |d| {
                        (d / 2).clamp(Duration::from_millis(50), Duration::from_secs(1))
                    });
                    tokio::select! {
                        p = slots.clone().acquire_owned() => break p.expect("semaphore never closed"),
                        _ = tokio::time::sleep(period), if shed_after.is_some() => {}
                        _ = &mut signal => break 'accept,
                        _ = stop.signaled() => break 'accept,
                    }
                },
            };
            let accepted = tokio::select! {
                r = listener.accept() => r,
                _ = &mut signal => break,
                _ = stop.signaled() => break,
            };
            while tasks.try_join_next().is_some() {}
            let (stream, peer) = match accepted {
                Ok(conn) => {
                    backoff = Duration::from_millis(5);
                    conn
                }
                Err(e) => {
                    // EMFILE, ENFILE, ENOBUFS, ECONNABORTED...: never fatal; back off so a full fd table
                    // does not spin the accept loop.
                    tracing::warn!(error = %e, "accept failed; retrying in {backoff:?}");
                    drop(permit);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let service = service.clone();
            let rx = shutdown.watch();
            tasks.spawn(async move {
                conn::serve(
                    stream,
                    Some(peer),
                    service,
                    rx,
                    tokio::net::TcpStream::poll_read_ready,
                )
                .await;
                drop(permit);
            });
        }

        drop(listener);
        shutdown.trigger();
        let grace = service.limits.shutdown_grace;
        tracing::info!(
            connections = tasks.len(),
            "shutting down: waiting up to {grace:?} for in-flight requests"
        );
        let drained =
            tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                connections = tasks.len(),
                "grace period over; closing remaining connections"
            );
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        tracing::info!("server stopped");
        Ok(())
    }
}

/// The connections this process can serve at once: `max`, lowered to fit the open-file limit (after raising the
/// soft limit to the hard one), keeping some descriptors for files, logs and the listener. A server that runs
/// out of descriptors can only fail `accept` in a loop; one that stays under the limit queues clients instead.
fn connection_budget(max: usize) -> usize {
    let max = max.clamp(1, Semaphore::MAX_PERMITS);
    #[cfg(unix)]
    {
        let _ = rlimit::increase_nofile_limit(u64::MAX);
        if let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
            let soft = usize::try_from(soft).unwrap_or(usize::MAX);
            let reserve = 64 + soft / 32;
            let fit = soft.saturating_sub(reserve).max(1);
            if fit < max {
                tracing::warn!(
                    "max_connections {max} exceeds what the open-file limit ({soft}) allows; serving at most \
                     {fit} connections at once (raise the limit with `ulimit -n`)"
                );
                return fit;
            }
        }
    }
    max
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn termination_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves one already-connected stream (any `AsyncRead + AsyncWrite`, e.g. an in-memory duplex) with `service`
/// until it closes. For tests and fuzzing of the whole connection loop without a socket.
pub async fn serve_stream<S>(stream: S, service: Arc<Service>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let state = ShutdownState::new();
    conn::serve(stream, None, service, state.watch(), conn::always_ready).await;
}
