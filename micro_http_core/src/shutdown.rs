//! What the server tells its connections: shut down, make room (close if idle) because every `max_connections`
//! slot is taken, or your deadline has passed.
//!
//! Each connection registers one slot when it starts and keeps it until it ends: its waker and its deadline on
//! the server's coarse clock (`clock.rs`). Waiting for the next request stores the deadline, and puts the waker
//! back only if a wake-up took it out of the slot since the last wait (an uncontended lock); otherwise one atomic
//! load tells it is still there (24 instructions of every request at one connection less than the lock). A
//! `Notify` waiter or a `watch` receiver costs a lock of the shared list on every wait and again when the wait
//! is dropped, which was 139 instructions of every request (`cost.sh --conns 1`). Shutdown and shed wake every
//! registered party; each looks at the signals again and goes on waiting if they do not concern it. The ticker
//! thread advances the clock every [`TICK`] and wakes the parties whose deadline it passed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::clock::{Clock, Tick, TICK};

/// Where one party's task waits to be woken, and until when.
#[derive(Debug)]
struct Party {
    waker: Mutex<Option<Waker>>,
    /// Whether `waker` holds a waker: set under its lock by the party, cleared under it by whoever takes the waker.
    /// Read without the lock, it lets a party whose waker is still there skip the lock.
    armed: AtomicBool,
    /// A [`Tick`]; `Tick::NEVER` when none is set.
    deadline: AtomicU64,
}

type Slot = Arc<Party>;

/// Shared by the server, its handles and every connection.
#[derive(Debug, Default)]
pub(crate) struct ShutdownState {
    flag: AtomicBool,
    /// Bumped each time the server asks idle connections to make room.
    shed_epoch: AtomicU64,
    parties: Mutex<Parties>,
    clock: Clock,
}

/// The registered slots, with the free places of the parties that have gone.
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
    /// The state and its ticker: a thread that advances the clock every [`TICK`] and wakes the parties whose
    /// deadline has passed, until the state is dropped.
    pub(crate) fn new() -> std::io::Result<Arc<Self>> {
        let state = Arc::<Self>::default();
        let weak = Arc::downgrade(&state);
        std::thread::Builder::new()
            .name("micro_http-clock".into())
            // It holds nothing but the state between ticks.
            .stack_size(64 * 1024)
            .spawn(move || tick_until_dropped(&weak))?;
        Ok(state)
    }

    /// Advances the clock and wakes every party whose deadline it passed (the waker is taken: a party is woken
    /// once per registration).
    fn tick(&self) {
        let now = self.clock.advance();
        self.wake_where(|party| Tick(party.deadline.load(Ordering::SeqCst)) <= now);
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
        self.wake_where(|_| true);
    }

    /// Takes the waker out of every registered party's slot for which `chosen` holds, and wakes it.
    fn wake_where(&self, chosen: impl Fn(&Party) -> bool) {
        let parties = lock(&self.parties);
        for slot in parties.slots.iter().flatten() {
            if chosen(slot) {
                let taken = {
                    let mut waker = lock(&slot.waker);
                    slot.armed.store(false, Ordering::SeqCst);
                    waker.take()
                };
                if let Some(w) = taken {
                    w.wake();
                }
            }
        }
    }

    /// A party (one connection, or an accept loop) that will hear the signals until it is dropped.
    pub(crate) fn watch(self: &Arc<Self>) -> ShutdownWatch {
        let slot = Slot::new(Party {
            waker: Mutex::new(None),
            armed: AtomicBool::new(false),
            deadline: AtomicU64::new(Tick::NEVER.0),
        });
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
            registered: None,
        }
    }

    #[cfg(test)]
    fn parties(&self) -> usize {
        lock(&self.parties).slots.iter().flatten().count()
    }
}

/// The ticker thread's loop.
fn tick_until_dropped(state: &Weak<ShutdownState>) {
    loop {
        std::thread::sleep(TICK);
        match state.upgrade() {
            Some(state) => state.tick(),
            None => return,
        }
    }
}

/// Why a waiting party was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    Shutdown,
    /// Every slot is taken and this connection has been idle at least as long as the server allows then.
    Shed,
    /// The clock has passed the party's deadline.
    Deadline,
}

/// What an idle connection (waiting for a request with nothing of one received) listens to besides its
/// deadline: shutdown, and a request to make room.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Idle {
    /// The shed epoch the wait started in: an earlier request to make room does not apply to it.
    pub(crate) epoch: u64,
    /// When the wait has lasted long enough to be shed; `None`: never.
    pub(crate) sheddable_at: Option<Tick>,
}

/// One party's view of the signals.
pub(crate) struct ShutdownWatch {
    state: Arc<ShutdownState>,
    slot: Slot,
    /// Its place in the state's list, given back on drop.
    index: usize,
    /// A clone of the waker last left in the slot, to compare the task's waker with without the slot's lock.
    registered: Option<Waker>,
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
            signals: true,
        }
    }

    /// A connection's wait for bytes of a request: completes when the clock passes the deadline set with
    /// [`set_deadline`](Self::set_deadline) and, for an idle connection, on shutdown or when it is asked to make
    /// room (see [`Idle`]). A connection with part of a request hears only its deadline.
    pub(crate) fn request_wait(&mut self, idle: Option<Idle>) -> Signaled<'_> {
        Signaled {
            watch: self,
            idle,
            signals: idle.is_some(),
        }
    }

    /// The server's coarse clock (`clock.rs`): what deadlines are set on.
    pub(crate) fn now(&self) -> Tick {
        self.state.clock.now()
    }

    /// The Unix second of the server's coarse clock: what `Date` shows.
    pub(crate) fn unix_secs(&self) -> u64 {
        self.state.clock.unix_secs()
    }

    /// Sets this party's deadline (`Tick::NEVER`: none). Only a wait polled after it hears it.
    pub(crate) fn set_deadline(&self, deadline: Tick) {
        self.slot.deadline.store(deadline.0, Ordering::SeqCst);
    }

    fn deadline(&self) -> Tick {
        Tick(self.slot.deadline.load(Ordering::Relaxed))
    }

    /// Leaves the task's waker in the slot. Nothing to do, and no lock, while the slot still holds a waker that
    /// wakes this task (the usual case: only a wake-up by the ticker or a signal takes it); a waker taken after
    /// the check is woken, and wakes this task. Otherwise, under the lock: a clone only when the task's waker
    /// changed.
    fn register(&mut self, cx: &mut Context<'_>) {
        let same = |w: &Option<Waker>| w.as_ref().is_some_and(|w| w.will_wake(cx.waker()));
        if self.slot.armed.load(Ordering::SeqCst) && same(&self.registered) {
            return;
        }
        let mut slot = lock(&self.slot.waker);
        if !same(&slot) {
            *slot = Some(cx.waker().clone());
        }
        if !same(&self.registered) {
            self.registered = slot.clone();
        }
        self.slot.armed.store(true, Ordering::SeqCst);
    }
}

/// The future of [`ShutdownWatch::signaled`] and [`ShutdownWatch::request_wait`].
pub(crate) struct Signaled<'a> {
    watch: &'a mut ShutdownWatch,
    idle: Option<Idle>,
    /// Whether shutdown ends the wait.
    signals: bool,
}

impl Future for Signaled<'_> {
    type Output = Wake;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Wake> {
        // Registered before the signals and the clock are read: a signal given, or a tick made, after the reads
        // below wakes this waker (the state stores the signal, or advances the clock, before it takes the wakers
        // out of their slots).
        self.watch.register(cx);
        if self.signals && self.watch.is_set() {
            return Poll::Ready(Wake::Shutdown);
        }
        let now = self.watch.now();
        if let Some(Idle {
            epoch,
            sheddable_at: Some(at),
        }) = self.idle
        {
            if self.watch.epoch() != epoch && now >= at {
                return Poll::Ready(Wake::Shed);
            }
        }
        if now >= self.watch.deadline() {
            return Poll::Ready(Wake::Deadline);
        }
        Poll::Pending
    }
}

/// When a wait that starts at `since` may be shed, with the server's `shed_idle_after`.
pub(crate) fn sheddable_at(since: Tick, shed_after: Option<Duration>) -> Option<Tick> {
    shed_after.map(|d| since.after(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An idle wait that may be shed by any later request to make room.
    fn idle(watch: &ShutdownWatch, since: Tick, shed_after: Duration) -> Idle {
        Idle {
            epoch: watch.epoch(),
            sheddable_at: sheddable_at(since, Some(shed_after)),
        }
    }

    /// Waits until the state's clock reads at least `t`.
    async fn clock_past(state: &ShutdownState, t: Tick) {
        while state.clock.now() < t {
            tokio::time::sleep(TICK / 4).await;
        }
    }

    #[tokio::test]
    async fn waiters_before_and_after_the_trigger_both_see_it() {
        let state = ShutdownState::new().unwrap();
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
        let state = ShutdownState::new().unwrap();
        let mut accept_loop = state.watch();
        let mut old = state.watch();
        let mut young = state.watch();
        // `old` has waited since the clock's start and may be shed after 0 ms: once the clock passes that.
        let old_idle = idle(&old, Tick(0), Duration::ZERO);
        clock_past(&state, old_idle.sheddable_at.unwrap()).await;
        let young_idle = idle(&young, state.clock.now(), Duration::from_secs(60));
        let old = tokio::spawn(async move { old.request_wait(Some(old_idle)).await });
        let young = tokio::spawn(async move {
            let w = young.request_wait(Some(young_idle)).await;
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
        let (w, mut young) = tokio::time::timeout(Duration::from_secs(5), young)
            .await
            .expect("the young connection, woken once by the shed, missed the shutdown")
            .unwrap();
        assert_eq!(w, Wake::Shutdown);
        assert_eq!(young.signaled().await, Wake::Shutdown);
    }

    #[tokio::test]
    async fn a_shed_requested_before_the_idle_wait_began_does_not_apply_to_it() {
        let state = ShutdownState::new().unwrap();
        let mut conn = state.watch();
        state.shed_idle();
        let wait = idle(&conn, Tick(0), Duration::ZERO);
        clock_past(&state, wait.sheddable_at.unwrap()).await;
        let w =
            tokio::time::timeout(Duration::from_millis(100), conn.request_wait(Some(wait))).await;
        assert!(w.is_err(), "woken by a shed older than the wait");
    }

    #[tokio::test]
    async fn the_ticker_wakes_a_wait_once_the_clock_passes_its_deadline_and_only_then() {
        let state = ShutdownState::new().unwrap();
        let mut conn = state.watch();
        let mut other = state.watch();
        let started = std::time::Instant::now();
        let deadline = state.clock.now().after(Duration::from_millis(300));
        conn.set_deadline(deadline);
        other.set_deadline(Tick::NEVER);
        let other = tokio::spawn(async move { other.request_wait(None).await });
        // No idle part: only the deadline ends this wait, and nothing polls it in between.
        let w = tokio::time::timeout(Duration::from_secs(5), conn.request_wait(None)).await;
        assert_eq!(w, Ok(Wake::Deadline));
        let waited = started.elapsed();
        assert!(state.clock.now() >= deadline);
        // Never early; late by at most two ticks (and this machine's scheduling).
        assert!(waited >= Duration::from_millis(300), "{waited:?}");
        assert!(
            waited < Duration::from_millis(300) + 2 * TICK + Duration::from_millis(400),
            "{waited:?}"
        );
        // A party without a deadline is not woken by the ticker, and a passed deadline can be lifted.
        assert!(!other.is_finished());
        other.abort();
        conn.set_deadline(Tick::NEVER);
        let w = tokio::time::timeout(2 * TICK, conn.request_wait(None)).await;
        assert!(w.is_err());
    }

    #[tokio::test]
    async fn a_connection_with_part_of_a_request_hears_its_deadline_not_the_signals() {
        let state = ShutdownState::new().unwrap();
        let mut conn = state.watch();
        state.trigger();
        state.shed_idle();
        conn.set_deadline(state.clock.now().after(Duration::from_millis(150)));
        assert_eq!(conn.request_wait(None).await, Wake::Deadline);
    }

    #[test]
    fn the_ticker_does_not_keep_the_state_alive() {
        let state = ShutdownState::new().unwrap();
        let weak = Arc::downgrade(&state);
        drop(state);
        std::thread::sleep(3 * TICK);
        assert!(weak.upgrade().is_none());
    }

    #[tokio::test]
    async fn a_party_that_goes_gives_its_place_back() {
        let state = ShutdownState::new().unwrap();
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
