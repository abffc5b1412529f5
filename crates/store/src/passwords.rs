//! Password hashing with Argon2id at a configured cost.
//!
//! The cost (memory and iterations) is a setting so that tests can hash in microseconds while
//! production keeps Argon2id's defaults (19 MiB, 2 iterations, 1 lane). A hash records its own
//! cost, so hashes made at another cost still verify. The hash that a login for an unknown
//! username is checked against is made at the configured cost, so that a wrong username takes as
//! long as a wrong password.
//!
//! Every hash holds its memory while it runs, so hashes run on a few threads of their own (one
//! per core, at most [`MAX_THREADS`]) behind a short queue: a burst of logins waits in the queue
//! or is told to come back ([`HashError::Busy`]) instead of taking a hash's memory each. The
//! memory a hash frees stays with the allocator of the thread that ran it, so a fixed set of
//! threads also bounds what stays behind after a burst.

use std::sync::{
    atomic::{AtomicU64, AtomicUsize, Ordering},
    mpsc::{sync_channel, SyncSender, TrySendError},
    Arc, Mutex, OnceLock,
};

use anyhow::{anyhow, Context};
use argon2::{
    password_hash::{rand_core::OsRng, Output, PasswordHash, PasswordHasher, SaltString},
    Algorithm, Argon2, Block, Params, Version,
};
use rand::RngCore;

/// How costly a new password hash is (Argon2id, one lane).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB (`PUSTAKA_PASSWORD_HASH_MEMORY_KIB`).
    pub memory_kib: u32,
    /// Passes over the memory (`PUSTAKA_PASSWORD_HASH_ITERATIONS`).
    pub iterations: u32,
}

impl HashCost {
    /// Argon2's own minimum memory (8 KiB per lane).
    pub const MIN_MEMORY_KIB: u32 = Params::MIN_M_COST;
    /// A ceiling against typos: every login in flight holds this much memory.
    pub const MAX_MEMORY_KIB: u32 = 1024 * 1024;
    /// Argon2's own minimum number of passes.
    pub const MIN_ITERATIONS: u32 = Params::MIN_T_COST;
    /// A ceiling against typos: the time of a login grows with it.
    pub const MAX_ITERATIONS: u32 = 100;

    /// The Argon2id parameters, or why this cost cannot be used.
    pub fn params(self) -> anyhow::Result<Params> {
        if !(Self::MIN_MEMORY_KIB..=Self::MAX_MEMORY_KIB).contains(&self.memory_kib) {
            anyhow::bail!(
                "the password hash memory must be from {} KiB (Argon2's minimum) to {} KiB; it is {} KiB",
                Self::MIN_MEMORY_KIB,
                Self::MAX_MEMORY_KIB,
                self.memory_kib
            );
        }
        if !(Self::MIN_ITERATIONS..=Self::MAX_ITERATIONS).contains(&self.iterations) {
            anyhow::bail!(
                "the password hash iterations must be from {} (Argon2's minimum) to {}; it is {}",
                Self::MIN_ITERATIONS,
                Self::MAX_ITERATIONS,
                self.iterations
            );
        }
        Params::new(self.memory_kib, self.iterations, Params::DEFAULT_P_COST, None)
            .map_err(|e| anyhow!("Argon2 refuses {} KiB and {} iterations: {e}", self.memory_kib, self.iterations))
    }

    /// Below the Argon2id defaults (fine for tests, weak for real passwords).
    pub fn is_below_default(self) -> bool {
        self.memory_kib < Params::DEFAULT_M_COST || self.iterations < Params::DEFAULT_T_COST
    }
}

impl Default for HashCost {
    /// Argon2id's defaults, the OWASP recommendation: 19 MiB, 2 iterations.
    fn default() -> Self {
        Self { memory_kib: Params::DEFAULT_M_COST, iterations: Params::DEFAULT_T_COST }
    }
}

/// The most threads that hash at once: each holds the hash's memory (19 MiB at the default cost)
/// while it runs, and its allocator keeps it afterwards.
pub const MAX_THREADS: usize = 4;
/// Hashes that may wait for a thread, per thread; more are refused with [`HashError::Busy`].
pub const QUEUE_PER_THREAD: usize = 8;

/// Why a password could not be hashed or checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing thread is busy and the queue in front of them is full: try again shortly.
    #[error("too many passwords are being checked at once")]
    Busy,
    /// Hashing failed (a bad stored hash, a thread that stopped).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

type Job = Box<dyn FnOnce() + Send>;

thread_local! {
    /// A hashing thread's Argon2 memory, reused check after check: the allocator kept the fresh
    /// 19 MiB each check allocated (a release build grew by about that much per login, on the
    /// same two threads), so a thread now allocates it once.
    static BLOCKS: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The hashing threads and the bounded queue in front of them. The threads end when the last
/// [`Hasher`] sharing them is dropped.
struct Pool {
    jobs: SyncSender<Job>,
}

impl Pool {
    fn start(threads: usize, queue: usize) -> Self {
        let (jobs, waiting) = sync_channel::<Job>(queue);
        let waiting = Arc::new(Mutex::new(waiting));
        for i in 0..threads {
            let waiting = waiting.clone();
            std::thread::Builder::new()
                .name(format!("pustaka-hash-{i}"))
                .spawn(move || loop {
                    // The lock is held only while waiting for the next job, not while it runs.
                    let job = match waiting.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A panicking hash must not take the thread with it.
                        Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
                        Err(_) => return,
                    }
                })
                .expect("starting a password hashing thread");
        }
        Self { jobs }
    }
}

/// How many hashes run and wait, for the metrics.
#[derive(Debug, Default)]
struct QueueCounts {
    running: AtomicUsize,
    waiting: AtomicUsize,
    refused: AtomicU64,
}

/// The hashing queue as the metrics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueStatus {
    /// Threads that hash.
    pub threads: usize,
    /// Hashes that may wait for a thread.
    pub capacity: usize,
    /// Hashes running now.
    pub in_progress: usize,
    /// Hashes waiting for a thread.
    pub waiting: usize,
    /// Hashes refused with [`HashError::Busy`] since the start.
    pub refused: u64,
}

/// Moves a hash from waiting to running while alive (also when the hash panics).
struct Running(Arc<QueueCounts>);

impl Running {
    fn start(counts: Arc<QueueCounts>) -> Self {
        counts.waiting.fetch_sub(1, Ordering::Relaxed);
        counts.running.fetch_add(1, Ordering::Relaxed);
        Self(counts)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Hashes and verifies passwords on threads of their own (at the production cost a hash takes
/// tens of milliseconds and 19 MiB on purpose), at most one per core at a time.
#[derive(Clone)]
pub struct Hasher {
    cost: HashCost,
    argon2: Argon2<'static>,
    /// A hash of a random password at this cost, made when first needed (see [`Hasher::warm`]).
    dummy: Arc<OnceLock<String>>,
    /// Started on first use, so that a hasher replaced before use starts no threads.
    pool: Arc<OnceLock<Pool>>,
    counts: Arc<QueueCounts>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").field("cost", &self.cost).finish_non_exhaustive()
    }
}

impl Default for Hasher {
    fn default() -> Self {
        Self::new(HashCost::default()).expect("Argon2id's default parameters are valid")
    }
}

impl Hasher {
    /// A hasher at `cost`, or why the cost cannot be used.
    pub fn new(cost: HashCost) -> anyhow::Result<Self> {
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, cost.params()?);
        Ok(Self {
            cost,
            argon2,
            dummy: Arc::new(OnceLock::new()),
            pool: Arc::new(OnceLock::new()),
            counts: Arc::default(),
        })
    }

    /// How many threads hash at once: one per core the process may use, at most [`MAX_THREADS`].
    pub fn threads() -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_THREADS)
    }

    /// Runs `f` on a hashing thread; [`HashError::Busy`] at once when the queue is full.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let threads = Self::threads();
        let pool = self.pool.get_or_init(|| Pool::start(threads, threads * QUEUE_PER_THREAD));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let counts = self.counts.clone();
        let job: Job = Box::new(move || {
            let running = Running::start(counts);
            let out = f();
            drop(running);
            // The caller may have gone (a closed connection): nobody to tell.
            let _ = tx.send(out);
        });
        // Counted as waiting before it can start, so the count never goes below zero.
        self.counts.waiting.fetch_add(1, Ordering::Relaxed);
        let refused = match pool.jobs.try_send(job) {
            Ok(()) => None,
            Err(TrySendError::Full(_)) => Some(HashError::Busy),
            Err(TrySendError::Disconnected(_)) => Some(anyhow!("the password hashing threads stopped").into()),
        };
        if let Some(e) = refused {
            self.counts.waiting.fetch_sub(1, Ordering::Relaxed);
            if matches!(e, HashError::Busy) {
                self.counts.refused.fetch_add(1, Ordering::Relaxed);
            }
            return Err(e);
        }
        rx.await.map_err(|_| anyhow!("a password hashing thread failed").into())
    }

    /// Hashes running, waiting and refused so far (for the metrics).
    pub fn queue_status(&self) -> QueueStatus {
        let threads = Self::threads();
        QueueStatus {
            threads,
            capacity: threads * QUEUE_PER_THREAD,
            in_progress: self.counts.running.load(Ordering::Relaxed),
            waiting: self.counts.waiting.load(Ordering::Relaxed),
            refused: self.counts.refused.load(Ordering::Relaxed),
        }
    }

    /// The cost of new hashes.
    pub fn cost(&self) -> HashCost {
        self.cost
    }

    /// Makes the unknown-user hash now (blocking), so that the first login for an unknown username
    /// does not take longer than the others.
    pub fn warm(&self) {
        self.dummy_hash();
    }

    fn dummy_hash(&self) -> &str {
        self.dummy.get_or_init(|| {
            let mut random = [0u8; 32];
            rand::thread_rng().fill_bytes(&mut random);
            self.hash_blocking(&hex::encode(random)).expect("hashing a random password")
        })
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        let salt = SaltString::generate(&mut OsRng);
        self.argon2
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow!("hashing a password: {e}"))
    }

    /// Whether `password` matches the PHC string `hash`, following the cost recorded in it (so
    /// older hashes still verify), on this thread's reused memory when the cost is at most ours.
    fn verify_blocking(&self, password: &[u8], hash: &str) -> anyhow::Result<bool> {
        let bad = |e: &dyn std::fmt::Display| anyhow!("stored hash: {e}");
        let parsed = PasswordHash::new(hash).map_err(|e| bad(&e))?;
        let params = Params::try_from(&parsed).map_err(|e| bad(&e))?;
        let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| bad(&e))?;
        let version = parsed.version.map(Version::try_from).transpose().map_err(|e| bad(&e))?.unwrap_or_default();
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return Err(anyhow!("stored hash: no salt or no output"));
        };
        let mut salt_buf = [0u8; 64];
        let salt = salt.decode_b64(&mut salt_buf).map_err(|e| bad(&e))?;
        let mut out = vec![0u8; expected.len()];
        let blocks = params.block_count();
        let ours = self.cost.params()?.block_count();
        let argon2 = Argon2::new(algorithm, version, params);
        let done = if blocks <= ours {
            BLOCKS.with(|memory| {
                let mut memory = memory.borrow_mut();
                if memory.len() < blocks {
                    memory.resize(blocks, Block::default());
                }
                argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
            })
        } else {
            // A hash made at a higher cost than ours: its memory is not kept.
            argon2.hash_password_into(password, salt, &mut out)
        };
        done.map_err(|e| anyhow!("checking a password: {e}"))?;
        // Output's equality is constant-time.
        Ok(Output::new(&out).map_err(|e| bad(&e))? == expected)
    }

    /// Hashes a new password.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let (me, password) = (self.clone(), password.to_owned());
        Ok(self.run(move || me.hash_blocking(&password)).await??)
    }

    /// Whether `password` matches the `stored` hash. With no stored hash (an unknown username) it
    /// checks against a hash at the configured cost and answers `false`, taking as long.
    pub async fn verify(&self, password: &str, stored: Option<String>) -> Result<bool, HashError> {
        let (me, password) = (self.clone(), password.to_owned());
        let checked = self.run(move || -> anyhow::Result<bool> {
            let (hash, known) = match &stored {
                Some(h) => (h.as_str(), true),
                None => (me.dummy_hash(), false),
            };
            let ok = me.verify_blocking(password.as_bytes(), hash)?;
            Ok(ok && known)
        });
        Ok(checked.await?.context("verifying a password")?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: HashCost = HashCost { memory_kib: 64, iterations: 1 };

    #[test]
    fn the_default_is_argon2id_defaults() {
        let p = HashCost::default().params().unwrap();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19456, 2, 1));
        assert!(!HashCost::default().is_below_default());
        assert!(LOW.is_below_default());
    }

    #[test]
    fn costs_below_argon2s_minimums_are_refused() {
        for bad in [
            HashCost { memory_kib: 7, iterations: 1 },
            HashCost { memory_kib: 0, iterations: 2 },
            HashCost { memory_kib: 64, iterations: 0 },
            HashCost { memory_kib: HashCost::MAX_MEMORY_KIB + 1, iterations: 2 },
        ] {
            assert!(Hasher::new(bad).is_err(), "{bad:?}");
        }
        assert!(Hasher::new(HashCost { memory_kib: 8, iterations: 1 }).is_ok());
    }

    #[tokio::test]
    async fn hashes_record_the_cost_and_verify() {
        let low = Hasher::new(LOW).unwrap();
        let hash = low.hash("secret-password").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert!(low.verify("secret-password", Some(hash.clone())).await.unwrap());
        assert!(!low.verify("wrong-password", Some(hash.clone())).await.unwrap());
        // A hash made at another cost still verifies.
        let other = Hasher::new(HashCost { memory_kib: 128, iterations: 2 }).unwrap();
        assert!(other.verify("secret-password", Some(hash)).await.unwrap());
        // And one made at a higher cost than ours (checked on memory of its own).
        let higher = other.hash("secret-password").await.unwrap();
        assert!(low.verify("secret-password", Some(higher.clone())).await.unwrap());
        assert!(!low.verify("wrong-password", Some(higher)).await.unwrap());
        assert!(low.verify("secret-password", Some("$argon2id$v=19$m=64,t=1,p=1$bad".into())).await.is_err());
    }

    #[tokio::test]
    async fn unknown_users_are_checked_against_a_hash_at_the_same_cost() {
        let low = Hasher::new(LOW).unwrap();
        assert!(!low.verify("anything", None).await.unwrap());
        assert!(low.dummy_hash().starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{}", low.dummy_hash());
        let default = Hasher::default();
        default.warm();
        assert!(default.dummy_hash().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    }

    #[tokio::test]
    async fn beyond_the_threads_and_the_queue_hashing_is_refused_at_once() {
        let h = Hasher::new(LOW).unwrap();
        // Jobs that hold their thread until `release` is dropped.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(Mutex::new(gate));
        let capacity = Hasher::threads() * (1 + QUEUE_PER_THREAD);
        let mut accepted = Vec::new();
        let mut busy = 0;
        for _ in 0..capacity + 1 {
            let gate = gate.clone();
            let mut job = Box::pin(h.run(move || {
                let _ = gate.lock().unwrap().recv();
            }));
            match futures::poll!(&mut job) {
                std::task::Poll::Ready(Err(HashError::Busy)) => busy += 1,
                std::task::Poll::Pending => accepted.push(job),
                other => panic!("{other:?}"),
            }
        }
        assert!(busy >= 1, "{} accepted of {}", accepted.len(), capacity + 1);
        assert!(accepted.len() <= capacity);
        let q = h.queue_status();
        assert_eq!(q.refused, busy);
        assert_eq!(q.in_progress + q.waiting, accepted.len(), "{q:?}");
        drop(release);
        for job in accepted {
            job.await.unwrap();
        }
        let q = h.queue_status();
        assert_eq!((q.in_progress, q.waiting), (0, 0), "{q:?}");
        // Room again once they are done.
        assert!(h.verify("x", None).await.is_ok());
    }
}
