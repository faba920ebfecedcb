//! The shutdown signal: a flag every connection checks between requests, and a wake-up for those waiting idle.
//!
//! Each connection registers one waiter when it starts and keeps it: waiting for the next request costs no
//! registration per request (a `watch` receiver re-registers on every wait).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

/// Shared by the server, its handles and every connection.
#[derive(Debug, Default)]
pub(crate) struct ShutdownState {
    flag: AtomicBool,
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

/// One party's view of the shutdown signal.
pub(crate) struct ShutdownWatch {
    state: Arc<ShutdownState>,
    waiter: Pin<Box<OwnedNotified>>,
}

impl ShutdownWatch {
    /// `true` once shutdown has started.
    pub(crate) fn is_set(&self) -> bool {
        self.state.is_triggered()
    }

    /// Completes once shutdown has started (at once if it already has).
    pub(crate) fn signaled(&mut self) -> Signaled<'_> {
        Signaled(self)
    }
}

/// The future of [`ShutdownWatch::signaled`].
pub(crate) struct Signaled<'a>(&'a mut ShutdownWatch);

impl Future for Signaled<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0.is_set() {
            return Poll::Ready(());
        }
        self.0.waiter.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_before_and_after_the_trigger_both_see_it() {
        let state = ShutdownState::new();
        let mut before = state.watch();
        let waiting = tokio::spawn(async move { before.signaled().await });
        tokio::task::yield_now().await;
        state.trigger();
        waiting.await.unwrap();
        let mut after = state.watch();
        assert!(after.is_set());
        after.signaled().await;
    }
}
