//! Password hashing on a small pool of threads of its own. An argon2id hash holds
//! ~19 MiB while it runs; hashed on as many threads as logins arrive, 60 parallel
//! logins took the server past 1 GB, and the allocator kept it. Here at most one hash
//! runs per core, the rest wait in a queue, and a login that waits too long answers
//! 503 `busy` instead of holding memory for it.

use axum::http::StatusCode;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{ApiError, ApiResult};

type Job = Box<dyn FnOnce() + Send>;

pub struct HashPool {
    jobs: SyncSender<Job>,
    wait: Duration,
}

/// Logins waiting for a hash at most; past that they are refused at once.
const QUEUE: usize = 4096;

impl HashPool {
    /// One thread per core (at most four), each waiting at most `wait` for its turn.
    pub fn for_this_machine(wait: Duration) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self::new(cores.clamp(1, 4), QUEUE, wait)
    }

    pub fn new(threads: usize, queue: usize, wait: Duration) -> Self {
        let (jobs, queued) = sync_channel::<Job>(queue);
        let queued = Arc::new(Mutex::new(queued));
        for i in 0..threads {
            let queued = queued.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || {
                    // Ends when the pool (the only sender) is dropped.
                    while let Ok(job) = queued
                        .lock()
                        .map_err(drop)
                        .and_then(|q| q.recv().map_err(drop))
                    {
                        job();
                    }
                })
                .expect("a password hashing thread starts");
        }
        HashPool { jobs, wait }
    }

    /// Runs `work` on the pool; 503 `busy` when the queue is full or the turn does not
    /// come within the wait. Work whose caller gave up is skipped, not run.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> ApiResult<T> {
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            if !done.is_closed() {
                let _ = done.send(work());
            }
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(busy()),
            Err(TrySendError::Disconnected(_)) => {
                return Err(ApiError::internal("password hashing pool stopped"));
            }
        }
        match tokio::time::timeout(self.wait, result).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(ApiError::internal("password hashing thread ended")),
            Err(_) => {
                tracing::warn!("password hashing queue too long: a sign-in was refused");
                Err(busy())
            }
        }
    }
}

fn busy() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "too many sign-ins at once; try again in a moment",
    );
    e.retry_after = Some(2);
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn no_more_hashes_run_at_once_than_the_pool_has_threads() {
        let pool = Arc::new(HashPool::new(2, 64, Duration::from_secs(10)));
        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let mut waits = Vec::new();
        for _ in 0..12 {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            waits.push(tokio::spawn(async move {
                pool.run(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
            }));
        }
        for w in waits {
            w.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_turn_that_does_not_come_in_time_answers_busy_and_is_not_run_later() {
        let pool = Arc::new(HashPool::new(1, 64, Duration::from_millis(50)));
        let ran = Arc::new(AtomicUsize::new(0));
        let slow = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(|| std::thread::sleep(Duration::from_millis(300)))
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(10)).await;
        let r = ran.clone();
        let refused = pool.run(move || r.fetch_add(1, Ordering::SeqCst)).await;
        assert_eq!(refused.unwrap_err().code, "busy");
        slow.await.unwrap().unwrap_err();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(ran.load(Ordering::SeqCst), 0, "abandoned work is skipped");
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once() {
        let pool = Arc::new(HashPool::new(1, 1, Duration::from_secs(5)));
        // The one thread is held by a job until the test lets it go…
        let (started, has_started) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let p = pool.clone();
        let first = tokio::spawn(async move {
            p.run(move || {
                started.send(()).unwrap();
                released.recv().unwrap();
            })
            .await
        });
        tokio::task::spawn_blocking(move || has_started.recv().unwrap())
            .await
            .unwrap();
        // …and the queue's one place is taken.
        assert!(pool.jobs.try_send(Box::new(|| ())).is_ok());
        let third = pool.run(|| ()).await;
        assert_eq!(third.unwrap_err().code, "busy");
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
    }
}
