//! The listener: bind, accept with back-pressure, spawn one task per connection, shut down gracefully.
//!
//! Two ways to run (see [`Workers`]): by default one single-threaded tokio runtime per core, each accepting on
//! its own `SO_REUSEPORT` listener, so a connection lives on one thread from accept to close with no
//! cross-thread wake-ups; or on the runtime that calls `run`.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinSet;

use crate::app::Service;
use crate::conn;
use crate::shutdown::ShutdownState;

/// Which threads serve the connections.
///
/// ```no_run
/// use micro_http_core::{App, Workers};
/// # async fn run() -> std::io::Result<()> {
/// // Handlers that block a thread now and then are better off with work stealing:
/// App::new().workers(Workers::Caller).bind("127.0.0.1:8080").await?.run().await
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Workers {
    /// The default: one thread per available core (as `std::thread::available_parallelism` counts them, which
    /// honours CPU affinity), each running a single-threaded runtime and accepting on its own listener bound
    /// with `SO_REUSEPORT`, so the kernel spreads connections over the threads and a connection never changes
    /// thread. Measured cheaper per request than a work-stealing runtime (BENCHMARKS.md); the cost is that a
    /// handler that blocks its thread delays the other connections of that thread. Falls back to `Caller`
    /// where `SO_REUSEPORT` does not exist (not Unix).
    #[default]
    PerCore,
    /// Like `PerCore` with this many threads.
    Threads(usize),
    /// Everything on the tokio runtime that calls [`Server::run`] (a multi-threaded runtime steals work between
    /// its threads).
    Caller,
}

/// A bound server, ready to [`run`](Server::run).
pub struct Server {
    listeners: Listeners,
    service: Arc<Service>,
    local_addr: SocketAddr,
    shutdown: Arc<ShutdownState>,
}

enum Listeners {
    /// One listener on the caller's runtime.
    Caller(TcpListener),
    /// One listener per worker thread, all on the same address; each is registered with its thread's runtime
    /// when that thread starts.
    Workers(Vec<std::net::TcpListener>),
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
        workers: Workers,
    ) -> io::Result<Server> {
        let threads = match workers {
            Workers::Caller => None,
            Workers::Threads(n) => Some(n.max(1)),
            Workers::PerCore => Some(std::thread::available_parallelism().map_or(1, |n| n.get())),
        };
        let listeners = match threads {
            #[cfg(unix)]
            Some(n) => Listeners::Workers(bind_reuseport(addr, n).await?),
            _ => Listeners::Caller(TcpListener::bind(addr).await?),
        };
        let local_addr = match &listeners {
            Listeners::Caller(l) => l.local_addr()?,
            Listeners::Workers(ls) => ls[0].local_addr()?,
        };
        Ok(Server {
            listeners,
            service,
            local_addr,
            shutdown: ShutdownState::new()?,
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
        let shutdown = self.shutdown.clone();
        let (served, ()) = tokio::join!(self.serve(), stop_on(signal, &shutdown));
        served
    }

    /// All of [`run_until`](Self::run_until) but the signal, boxed: serves until the shutdown starts, then drains.
    ///
    /// Boxed so that the generic `run_until`, which the application's crate compiles for its signal, polls it
    /// through a vtable made here: polled directly, the application's crate compiled its own copy of the accept
    /// loop and of the connection task it spawns, the whole request path, beside this crate's copy for the
    /// workers (~70 KB of the benchmark's binary, BENCHMARKS.md). One allocation per server.
    fn serve(self) -> Pin<Box<dyn Future<Output = io::Result<()>> + Send>> {
        Box::pin(self.serve_inner())
    }

    async fn serve_inner(self) -> io::Result<()> {
        let Server {
            listeners,
            service,
            local_addr,
            shutdown,
        } = self;
        let slots = Arc::new(Semaphore::new(connection_budget(
            service.limits.max_connections,
        )));
        match listeners {
            Listeners::Caller(listener) => {
                tracing::info!("listening on http://{local_addr}");
                accept_loop(listener, service, shutdown, slots).await;
            }
            Listeners::Workers(listeners) => {
                tracing::info!(
                    "listening on http://{local_addr} ({} worker threads)",
                    listeners.len()
                );
                // The workers run on their own threads: if this future is dropped rather than run to the end,
                // they must still stop (gracefully), not serve on unseen.
                let _stop_workers = TriggerOnDrop(shutdown.clone());
                let mut done = Vec::with_capacity(listeners.len());
                for (i, listener) in listeners.into_iter().enumerate() {
                    let (tx, rx) = oneshot::channel::<()>();
                    let (svc, state, slots) = (service.clone(), shutdown.clone(), slots.clone());
                    let spawned = std::thread::Builder::new()
                        .name(format!("micro-http-{i}"))
                        .spawn(move || {
                            worker(listener, svc, state, slots);
                            drop(tx);
                        });
                    if let Err(e) = spawned {
                        shutdown.trigger();
                        for rx in done {
                            let _ = rx.await;
                        }
                        return Err(e);
                    }
                    done.push(rx);
                }
                shutdown.watch().signaled().await;
                // Each worker drains its own connections within the grace period, then ends.
                for rx in done {
                    let _ = rx.await;
                }
                tracing::info!("server stopped");
            }
        }
        Ok(())
    }
}

/// Starts the shutdown when `signal` completes; returns when the shutdown has started, by `signal` or otherwise.
async fn stop_on(signal: impl Future<Output = ()>, shutdown: &Arc<ShutdownState>) {
    let mut stop = shutdown.watch();
    tokio::select! {
        _ = signal => {},
        _ = stop.signaled() => {},
    }
    shutdown.trigger();
}

/// Starts the shutdown when dropped.
struct TriggerOnDrop(Arc<ShutdownState>);

impl Drop for TriggerOnDrop {
    fn drop(&mut self) {
        self.0.trigger();
    }
}

/// Binds `n` listeners to the same address with `SO_REUSEPORT` (the first one picks the port if it is 0).
#[cfg(unix)]
async fn bind_reuseport(
    addr: impl ToSocketAddrs,
    n: usize,
) -> io::Result<Vec<std::net::TcpListener>> {
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to bind");
    for addr in tokio::net::lookup_host(addr).await? {
        match bind_one(addr) {
            Ok(first) => {
                let addr = first.local_addr()?;
                let mut all = vec![first];
                for _ in 1..n {
                    all.push(bind_one(addr)?);
                }
                return Ok(all);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}

#[cfg(unix)]
fn bind_one(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// One worker thread: a single-threaded runtime serving the connections of its listener until shutdown.
fn worker(
    listener: std::net::TcpListener,
    service: Arc<Service>,
    shutdown: Arc<ShutdownState>,
    slots: Arc<Semaphore>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a worker runtime; stopping the server");
            shutdown.trigger();
            return;
        }
    };
    runtime.block_on(async move {
        match TcpListener::from_std(listener) {
            Ok(listener) => accept_loop(listener, service, shutdown, slots).await,
            Err(e) => {
                tracing::error!(error = %e, "cannot register a worker's listener; stopping the server");
                shutdown.trigger();
            }
        }
    });
}

/// Accepts and serves connections until shutdown, then stops accepting and gives in-flight requests the grace
/// period.
async fn accept_loop(
    listener: TcpListener,
    service: Arc<Service>,
    shutdown: Arc<ShutdownState>,
    slots: Arc<Semaphore>,
) {
    let shed_after = service.limits.shed_idle_after;
    let mut tasks = JoinSet::new();
    let mut stop = shutdown.watch();
    let mut backoff = Duration::from_millis(5);

    'accept: loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = stop.signaled() => break,
        };
        while tasks.try_join_next().is_some() {}
        let (stream, peer) = match accepted {
            Ok(conn) => {
                backoff = Duration::from_millis(5);
                conn
            }
            Err(e) => {
                // EMFILE, ENFILE, ENOBUFS, ECONNABORTED...: never fatal; back off so a full fd table does not
                // spin the accept loop.
                tracing::warn!(error = %e, "accept failed; retrying in {backoff:?}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
                continue;
            }
        };
        // Back-pressure: with every slot taken this connection waits, unserved, and the loop accepts no more
        // (further clients wait in the backlog); unless disabled, connections idle long enough are asked to
        // close, again every half `shed_idle_after` while full, so idle connections cannot lock everyone
        // else out. (One accepted connection per worker may wait so: with several listeners, a slot must go
        // to a worker that has a client for it.)
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
                    _ = stop.signaled() => break 'accept,
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = service.clone();
        let rx = shutdown.watch();
        tasks.spawn(async move {
            conn::serve(stream, Some(peer), service, rx, conn::Transport::tcp()).await;
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
    tracing::info!("stopped accepting; connections drained");
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
    // One state (and clock thread) for every stream served so: a fuzzer calls this thousands of times a second.
    static STATE: std::sync::OnceLock<Arc<ShutdownState>> = std::sync::OnceLock::new();
    let state =
        STATE.get_or_init(|| ShutdownState::new().expect("cannot start micro_http's clock thread"));
    conn::serve(
        stream,
        None,
        service,
        state.watch(),
        conn::Transport::plain(),
    )
    .await;
}
