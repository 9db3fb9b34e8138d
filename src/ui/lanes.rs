//! The queues of the app's library work: a read lane served by a small pool of threads, where a
//! newer query of one kind supersedes the older ones (queued ones are dropped, a running one is
//! cancelled), and a write lane served by one thread that never drops a job.
//!
//! Owns: the queue state ([`LaneState`], pure and unit-tested), the shared [`Lane`] workers wait
//! on, and cancellation (a flag per job, plus the library's interrupt for what its worker runs:
//! `store::Interrupt`).
//! May use: std and the store's `Interrupt`; no egui, no store queries.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

pub use crate::store::Interrupt;

/// Kinds of query where only the newest matters (the app shows one list, one map, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// The session list.
    List,
    /// The session loaded for the replay.
    Load,
    /// The heatmap aggregated.
    Heatmap,
    /// The element map of the heatmap view's element mode.
    Elements,
    /// The moments behind a heatmap spot.
    SpotMoments,
    /// The hotspot table.
    Hotspots,
    /// The signals of the selected hotspot.
    HotspotSignals,
    /// The conversions report.
    Conversions,
    /// The journey map.
    Journeys,
    /// The form tables.
    Forms,
    /// The sections of the heatmap's page (read only).
    Sections,
    /// The variants of the heatmap's page.
    Variants,
    /// Recomputing every session's signals (a write; cancelled only when asked).
    Recompute,
}

/// A job in a lane.
#[derive(Debug)]
pub struct Job<Q> {
    /// The work.
    pub work: Q,
    /// Its kind, for newest-wins and cancellation.
    pub kind: Option<JobKind>,
    /// Set when the job is superseded or cancelled: it is skipped, or its answer dropped.
    pub cancelled: Arc<AtomicBool>,
}

impl<Q> Job<Q> {
    /// A job of `kind`.
    pub fn new(work: Q, kind: Option<JobKind>) -> Self {
        Self {
            work,
            kind,
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Whether its answer must be dropped.
    #[cfg(test)]
    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// The work, and a way to ask later whether it was cancelled meanwhile.
    pub fn into_work(self) -> (Q, Cancelled) {
        (self.work, Cancelled(self.cancelled))
    }
}

/// Whether a job taken from a lane was cancelled since.
pub struct Cancelled(Arc<AtomicBool>);

impl Cancelled {
    /// True once the job was superseded or cancelled.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// A job a worker is running.
struct Running {
    worker: usize,
    kind: Option<JobKind>,
    cancelled: Arc<AtomicBool>,
}

/// The state of a lane (pure: tested without threads).
pub struct LaneState<Q> {
    jobs: VecDeque<Job<Q>>,
    running: Vec<Running>,
    /// Workers' interrupt handles, by worker id.
    interrupts: Vec<(usize, Box<dyn Interrupt>)>,
    /// A newer job of a kind supersedes the older ones (reads); otherwise nothing is dropped.
    newest_wins: bool,
    /// Workers started before the last [`Lane::close`] exit.
    epoch: u64,
    /// Workers may take jobs (the library is open).
    open: bool,
}

impl<Q> LaneState<Q> {
    /// An empty lane, closed until [`Lane::open`].
    #[must_use]
    pub fn new(newest_wins: bool) -> Self {
        Self {
            jobs: VecDeque::new(),
            running: Vec::new(),
            interrupts: Vec::new(),
            newest_wins,
            epoch: 0,
            open: false,
        }
    }

    /// Queues `job`. In a newest-wins lane, queued jobs of its kind are dropped and running
    /// ones cancelled; returns how many were superseded.
    pub fn push(&mut self, job: Job<Q>) -> usize {
        let superseded = match job.kind {
            Some(kind) if self.newest_wins => self.cancel(kind),
            _ => 0,
        };
        self.jobs.push_back(job);
        superseded
    }

    /// Cancels every job of `kind`: queued ones are dropped, running ones flagged and their
    /// statement interrupted. Returns how many.
    pub fn cancel(&mut self, kind: JobKind) -> usize {
        let before = self.jobs.len();
        self.jobs.retain(|j| j.kind != Some(kind));
        let mut count = before - self.jobs.len();
        for running in self.running.iter().filter(|r| r.kind == Some(kind)) {
            if !running.cancelled.swap(true, Ordering::AcqRel) {
                count += 1;
            }
            if let Some((_, handle)) = self.interrupts.iter().find(|(w, _)| *w == running.worker) {
                handle.interrupt();
            }
        }
        count
    }

    /// The next job for `worker`, marked running (`None`: nothing waits, or the lane is closed).
    pub fn take(&mut self, worker: usize) -> Option<Job<Q>> {
        if !self.open {
            return None;
        }
        let job = self.jobs.pop_front()?;
        self.running.push(Running {
            worker,
            kind: job.kind,
            cancelled: Arc::clone(&job.cancelled),
        });
        Some(job)
    }

    /// `worker` finished its job.
    pub fn done(&mut self, worker: usize) {
        self.running.retain(|r| r.worker != worker);
    }

    /// Jobs waiting.
    #[cfg(test)]
    #[must_use]
    pub fn queued(&self) -> usize {
        self.jobs.len()
    }

    /// Kinds of the jobs waiting, in order.
    #[cfg(test)]
    #[must_use]
    pub fn queued_kinds(&self) -> Vec<Option<JobKind>> {
        self.jobs.iter().map(|j| j.kind).collect()
    }
}

/// A lane shared by the app and its workers.
pub struct Lane<Q> {
    state: Mutex<LaneState<Q>>,
    wake: Condvar,
}

impl<Q> Lane<Q> {
    /// A closed, empty lane.
    #[must_use]
    pub fn new(newest_wins: bool) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(LaneState::new(newest_wins)),
            wake: Condvar::new(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, LaneState<Q>> {
        // A worker that panicked mid-job leaves the queue itself consistent.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a job and wakes a worker; returns how many jobs it superseded.
    pub fn push(&self, job: Job<Q>) -> usize {
        let superseded = self.lock().push(job);
        self.wake.notify_all();
        superseded
    }

    /// Cancels every job of `kind` (see [`LaneState::cancel`]).
    pub fn cancel(&self, kind: JobKind) -> usize {
        self.lock().cancel(kind)
    }

    /// Jobs waiting.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.lock().queued()
    }

    /// The current epoch: a worker started now serves it.
    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Lets workers take jobs.
    pub fn open(&self) {
        self.lock().open = true;
        self.wake.notify_all();
    }

    /// Stops handing out jobs; workers of this epoch exit when they next look (queued jobs
    /// stay for the next workers).
    pub fn close(&self) {
        let mut state = self.lock();
        state.open = false;
        state.epoch += 1;
        drop(state);
        self.wake.notify_all();
    }

    /// Registers `worker`'s interrupt handle (replacing an older worker's of the same id).
    pub fn register(&self, worker: usize, interrupt: Box<dyn Interrupt>) {
        let mut state = self.lock();
        state.interrupts.retain(|(w, _)| *w != worker);
        state.interrupts.push((worker, interrupt));
    }

    /// Waits for the next job for `worker` of `epoch`; `None` when that epoch is over.
    pub fn next(&self, worker: usize, epoch: u64) -> Option<Job<Q>> {
        let mut state = self.lock();
        loop {
            if state.epoch != epoch {
                return None;
            }
            if let Some(job) = state.take(worker) {
                return Some(job);
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// Waits until the lane opens (`true`) or `epoch` ends (`false`).
    pub fn wait_open(&self, epoch: u64) -> bool {
        let mut state = self.lock();
        loop {
            if state.epoch != epoch {
                return false;
            }
            if state.open {
                return true;
            }
            state = self
                .wake
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }

    /// `worker` finished its job.
    pub fn done(&self, worker: usize) {
        self.lock().done(worker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Counter(Arc<AtomicUsize>);

    impl Interrupt for Counter {
        fn interrupt(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_newer_query_of_one_kind_drops_the_queued_ones_and_leaves_other_kinds() {
        let mut lane = LaneState::new(true);
        lane.push(Job::new(1, Some(JobKind::Heatmap)));
        lane.push(Job::new(2, Some(JobKind::List)));
        lane.push(Job::new(3, None));
        assert_eq!(lane.push(Job::new(4, Some(JobKind::Heatmap))), 1);
        assert_eq!(lane.push(Job::new(5, Some(JobKind::Heatmap))), 1);
        assert_eq!(
            lane.queued_kinds(),
            [Some(JobKind::List), None, Some(JobKind::Heatmap)]
        );
        lane.open = true;
        let order: Vec<i32> = std::iter::from_fn(|| {
            let job = lane.take(0)?;
            lane.done(0);
            Some(job.work)
        })
        .collect();
        assert_eq!(order, [2, 3, 5]);
    }

    #[test]
    fn a_newer_query_cancels_the_running_one_and_interrupts_its_statement() {
        let mut lane = LaneState::new(true);
        let interrupts = Arc::new(AtomicUsize::new(0));
        lane.interrupts
            .push((7, Box::new(Counter(Arc::clone(&interrupts)))));
        lane.interrupts
            .push((8, Box::new(Counter(Arc::new(AtomicUsize::new(0))))));
        lane.open = true;
        lane.push(Job::new("old map", Some(JobKind::Heatmap)));
        lane.push(Job::new("list", Some(JobKind::List)));
        let old = lane.take(7).expect("job");
        let list = lane.take(8).expect("job");
        lane.push(Job::new("new map", Some(JobKind::Heatmap)));
        assert!(old.is_cancelled(), "the running map is superseded");
        assert_eq!(interrupts.load(Ordering::SeqCst), 1);
        assert!(!list.is_cancelled(), "another kind runs on");
        lane.done(7);
        assert_eq!(lane.take(7).map(|j| j.work), Some("new map"));
    }

    #[test]
    fn the_write_lane_never_drops_and_cancels_only_when_asked() {
        let mut lane = LaneState::new(false);
        lane.open = true;
        for i in 0..100 {
            assert_eq!(lane.push(Job::new(i, Some(JobKind::Recompute))), 0);
        }
        assert_eq!(lane.queued(), 100);
        let running = lane.take(0).expect("job");
        assert_eq!(lane.cancel(JobKind::Recompute), 100);
        assert!(running.is_cancelled());
        assert_eq!(lane.queued(), 0);
    }

    #[test]
    fn a_closed_lane_keeps_its_jobs_for_the_next_workers() {
        let lane: Arc<Lane<u32>> = Lane::new(false);
        lane.push(Job::new(1, None));
        let epoch = lane.epoch();
        lane.close();
        assert!(
            lane.next(0, epoch).is_none(),
            "the old epoch's worker exits"
        );
        let epoch = lane.epoch();
        lane.open();
        assert_eq!(lane.next(0, epoch).map(|j| j.work), Some(1));
    }

    #[test]
    fn pool_workers_serve_jobs_and_superseded_answers_are_dropped() {
        let lane: Arc<Lane<u32>> = Lane::new(true);
        let (tx, rx) = std::sync::mpsc::channel();
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let epoch = lane.epoch();
        let workers: Vec<_> = (0..2)
            .map(|worker| {
                let (lane, tx, gate) = (Arc::clone(&lane), tx.clone(), Arc::clone(&gate));
                std::thread::Builder::new()
                    .name(format!("test-read-{worker}"))
                    .spawn(move || {
                        while let Some(job) = lane.next(worker, epoch) {
                            // The first map waits at the gate, as a long aggregation would.
                            if job.work == 1 {
                                let (open, cv) = &*gate;
                                let mut open = open.lock().expect("gate");
                                while !*open {
                                    open = cv.wait(open).expect("gate");
                                }
                            }
                            lane.done(worker);
                            if !job.is_cancelled() {
                                tx.send(job.work).expect("send");
                            }
                        }
                    })
                    .expect("spawn")
            })
            .collect();
        lane.open();
        lane.push(Job::new(1, Some(JobKind::Heatmap)));
        // The long map occupies one worker; a list is served by the other meanwhile.
        while lane.queued() > 0 {
            std::thread::yield_now();
        }
        lane.push(Job::new(10, Some(JobKind::List)));
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(10)), Ok(10));
        lane.push(Job::new(2, Some(JobKind::Heatmap)));
        assert_eq!(rx.recv_timeout(std::time::Duration::from_secs(10)), Ok(2));
        {
            let (open, cv) = &*gate;
            *open.lock().expect("gate") = true;
            cv.notify_all();
        }
        lane.close();
        for w in workers {
            w.join().expect("join");
        }
        assert!(
            rx.try_recv().is_err(),
            "the superseded map's answer is dropped"
        );
    }
}
