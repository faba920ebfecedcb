//! What the server tells its connections: shut down, or make room (close if idle) because every
//! `max_connections` slot is taken.
//!
//! Each connection registers one waker slot when it starts and keeps it until it ends: waiting for the next
//! request only refreshes the waker in its own slot (an uncontended lock, and no clone when the task's waker is
//! unchanged). A `Notify` waiter or a `watch` receiver costs a lock of the shared list on every wait and again
//! when the wait is dropped, which was 139 instructions of every request (`cost.sh --conns 1`). Both signals
//! wake every registered party; each looks at the signals again and goes on waiting if they do not concern it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use tokio::time::Instant;

/// Where one party's task waits to be woken.
type Slot = Arc<Mutex<Option<Waker>>>;

/// Shared by the server, its handles and every connection.
#[derive(Debug, Default)]
pub(crate) struct ShutdownState {
    flag: AtomicBool,
    /// Bumped each time the server asks idle connections to make room.
    shed_epoch: AtomicU64,
    parties: Mutex<Parties>,
}

/// The registered waker slots, with the free places of the parties that have gone.
#[derive(Debug, Default)]
struct Parties {
    slots: Vec<Option<Slot>>,
    free: Vec<usize>,
}

/// Locks, and goes on after a panic elsewhere: the data is a list of wakers, never left half-changed.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl ShutdownState {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Starts the shutdown: the flag first, then the wake-ups, so a party polled before it sees one of them.
    pub(crate) fn trigger(&self) {
        self.flag.store(true, Ordering::SeqCst);
        self.wake_all();
    }

    pub(crate) fn is_triggered(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Asks every connection that is waiting for a request, with nothing of one received, to close.
    pub(crate) fn shed_idle(&self) {
        self.shed_epoch.fetch_add(1, Ordering::SeqCst);
        self.wake_all();
    }

    fn wake_all(&self) {
        let parties = lock(&self.parties);
        for slot in parties.slots.iter().flatten() {
            if let Some(w) = lock(slot).take() {
                w.wake();
            }
        }
    }

    /// A party (one connection, or an accept loop) that will hear the signals until it is dropped.
    pub(crate) fn watch(self: &Arc<Self>) -> ShutdownWatch {
        let slot = Slot::default();
        let mut parties = lock(&self.parties);
        let index = match parties.free.pop() {
            Some(i) => {
                parties.slots[i] = Some(slot.clone());
                i
            }
            None => {
                parties.slots.push(Some(slot.clone()));
                parties.slots.len() - 1
            }
        };
        drop(parties);
        ShutdownWatch {
            state: self.clone(),
            slot,
            index,
        }
    }

    #[cfg(test)]
    fn parties(&self) -> usize {
        lock(&self.parties).slots.iter().flatten().count()
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
    slot: Slot,
    /// Its place in the state's list, given back on drop.
    index: usize,
}

impl Drop for ShutdownWatch {
    fn drop(&mut self) {
        let mut parties = lock(&self.state.parties);
        parties.slots[self.index] = None;
        parties.free.push(self.index);
    }
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

    /// Leaves the task's waker in the slot (a clone only when the task's waker changed).
    fn register(&self, cx: &mut Context<'_>) {
        let mut slot = lock(&self.slot);
        match &*slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
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

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Wake> {
        // Registered before the signals are read: a signal given after the reads below wakes this waker (the
        // state stores the signal before it takes the wakers out of their slots, both under locks).
        self.watch.register(cx);
        if self.watch.is_set() {
            return Poll::Ready(Wake::Shutdown);
        }
        if let Some((epoch, sheddable_at)) = self.idle {
            if self.watch.epoch() != epoch && Instant::now() >= sheddable_at {
                return Poll::Ready(Wake::Shed);
            }
        }
        Poll::Pending
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

    #[tokio::test]
    async fn a_party_that_goes_gives_its_place_back() {
        let state = ShutdownState::new();
        let parties: Vec<_> = (0..100).map(|_| state.watch()).collect();
        assert_eq!(state.parties(), 100);
        drop(parties);
        assert_eq!(state.parties(), 0);
        let mut again: Vec<_> = (0..100).map(|_| state.watch()).collect();
        assert_eq!(lock(&state.parties).slots.len(), 100, "places are reused");
        state.trigger();
        for p in &mut again {
            assert_eq!(p.signaled().await, Wake::Shutdown);
        }
    }
}
