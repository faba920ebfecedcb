//! What the server tells its connections: shut down, or make room (close if idle) because every
//! `max_connections` slot is taken.
//!
//! Each connection registers one waiter when it starts and keeps it: waiting for the next request costs no
//! registration per request (a `watch` receiver re-registers on every wait). Both signals use the same wake-up;
//! a waiter woken for a signal that does not concern it re-registers and goes on waiting.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;
use tokio::time::Instant;

/// Shared by the server, its handles and every connection.
#[derive(Debug, Default)]
pub(crate) struct ShutdownState {
    flag: AtomicBool,
    /// Bumped each time the server asks idle connections to make room.
    shed_epoch: AtomicU64,
    notify: Arc<Notify>,
}

impl ShutdownState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Starts the shutdown: the flag first, then the wake-up, so a waiter registered before it sees one of them.
    pub(crate) fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    pub(crate) fn is_triggered(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Asks every connection that is waiting for a request, with nothing of one received, to close.
    pub(crate) fn shed_idle(&self) {
        self.shed_epoch.fetch_add(1, Ordering::SeqCst);
        self.notify.notify_waiters();
    }

    /// A waiter for one connection (or the accept loop).
    pub(crate) fn watch(self: &Arc<Self>) -> ShutdownWatch {
        let mut waiter = Box::pin(self.notify.clone().notified_owned());
        // Registered now, before anyone checks the flag: a trigger in between wakes it.
        waiter.as_mut().enable();
        ShutdownWatch {
            state: self.clone(),
            waiter,
        }
    }
}

/// Why an idle connection was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    Shutdown,
    /// Every slot is taken and this connection has been idle at least as long as the server allows then.
    Shed,
}

/// One party's view of the signals.
pub(crate) struct ShutdownWatch {
    state: Arc<ShutdownState>,
    waiter: Pin<Box<OwnedNotified>>,
}

impl ShutdownWatch {
    /// `true` once shutdown has started.
    pub(crate) fn is_set(&self) -> bool {
        self.state.is_triggered()
    }

    /// The current shed epoch: an idle wait that starts now is shed only by a later request to make room.
    pub(crate) fn epoch(&self) -> u64 {
        self.state.shed_epoch.load(Ordering::SeqCst)
    }

    /// Completes once shutdown has started (at once if it already has).
    pub(crate) fn signaled(&mut self) -> Signaled<'_> {
        Signaled {
            watch: self,
            idle: None,
        }
    }

    /// For a connection idle since `since` (in shed epoch `epoch`): completes on shutdown, or when the server
    /// asks for room and the connection has been idle for at least `shed_after` (if set).
    pub(crate) fn idle(
        &mut self,
        epoch: u64,
        since: Instant,
        shed_after: Option<std::time::Duration>,
    ) -> Signaled<'_> {
        Signaled {
            watch: self,
            idle: shed_after.map(|after| (epoch, since + after)),
        }
    }

    /// Polls the registered waiter; a completed one is replaced by a fresh registration, so a wake-up that did
    /// not concern this party is not lost for the next.
    fn poll_wake(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.waiter.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.waiter.set(self.state.notify.clone().notified_owned());
                self.waiter.as_mut().enable();
                Poll::Ready(())
            }
        }
    }
}

/// The future of [`ShutdownWatch::signaled`] and [`ShutdownWatch::idle`].
pub(crate) struct Signaled<'a> {
    watch: &'a mut ShutdownWatch,
    /// The shed epoch the idle wait started in, and when it becomes sheddable.
    idle: Option<(u64, Instant)>,
}

impl Future for Signaled<'_> {
    type Output = Wake;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Wake> {
        let idle = self.idle;
        loop {
            if self.watch.is_set() {
                return Poll::Ready(Wake::Shutdown);
            }
            if let Some((epoch, sheddable_at)) = idle {
                if self.watch.epoch() != epoch && Instant::now() >= sheddable_at {
                    return Poll::Ready(Wake::Shed);
                }
            }
            // Woken (or a wake-up left from earlier): the registration is renewed; look at the signals again.
            if self.watch.poll_wake(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waiters_before_and_after_the_trigger_both_see_it() {
        let state = ShutdownState::new();
        let mut before = state.watch();
        let waiting = tokio::spawn(async move { before.signaled().await });
        tokio::task::yield_now().await;
        state.trigger();
        assert_eq!(waiting.await.unwrap(), Wake::Shutdown);
        let mut after = state.watch();
        assert!(after.is_set());
        after.signaled().await;
    }

    #[tokio::test]
    async fn a_shed_wakes_only_connections_idle_long_enough_and_never_the_shutdown_wait() {
        let state = ShutdownState::new();
        let mut accept_loop = state.watch();
        let mut old = state.watch();
        let mut young = state.watch();
        let long_ago = Instant::now() - Duration::from_secs(5);
        let (e_old, e_young) = (old.epoch(), young.epoch());
        let old = tokio::spawn(async move {
            old.idle(e_old, long_ago, Some(Duration::from_secs(1)))
                .await
        });
        let young = tokio::spawn(async move {
            let w = young
                .idle(e_young, Instant::now(), Some(Duration::from_secs(60)))
                .await;
            (w, young)
        });
        tokio::task::yield_now().await;
        state.shed_idle();
        assert_eq!(old.await.unwrap(), Wake::Shed);
        let stopped =
            tokio::time::timeout(Duration::from_millis(100), accept_loop.signaled()).await;
        assert!(stopped.is_err(), "a shed is not a shutdown");
        // The young connection keeps waiting (its registration renewed) and still hears the shutdown.
        state.trigger();
        let (w, mut young) = young.await.unwrap();
        assert_eq!(w, Wake::Shutdown);
        assert_eq!(young.signaled().await, Wake::Shutdown);
    }

    #[tokio::test]
    async fn a_shed_requested_before_the_idle_wait_began_does_not_apply_to_it() {
        let state = ShutdownState::new();
        let mut conn = state.watch();
        state.shed_idle();
        let epoch = conn.epoch();
        let long_ago = Instant::now() - Duration::from_secs(5);
        let w = tokio::time::timeout(
            Duration::from_millis(100),
            conn.idle(epoch, long_ago, Some(Duration::ZERO)),
        )
        .await;
        assert!(w.is_err(), "woken by a shed older than the wait");
    }
}
