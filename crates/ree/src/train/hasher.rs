//! A background thread that computes tensor hashes while the training step goes on computing,
//! so tracing can overlap with compute when a core is free. Hash values are pure functions of
//! the tensors: which thread computes them, and when, never changes a bit.
//!
//! A step takes the worker exclusively ([`HashWorker::session`]) for its whole duration, so two
//! steps can never read each other's results.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::ReeError;
use crate::tensor::Tensor;
use crate::trace::Hash32;

type Job = (usize, Arc<Tensor>);

/// The two channels of the worker: jobs in, `(slot, hash)` out.
pub struct Channels {
    jobs: Sender<Job>,
    results: Receiver<(usize, Hash32)>,
}

/// The hashing thread.
pub struct HashWorker {
    channels: Mutex<Option<Channels>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Exclusive use of the worker for one step.
pub type Session<'a> = MutexGuard<'a, Option<Channels>>;

impl std::fmt::Debug for HashWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HashWorker")
    }
}

fn stopped() -> ReeError {
    ReeError::Config("the trace hashing thread stopped".into())
}

impl HashWorker {
    /// Start the thread.
    pub fn start() -> Result<HashWorker, ReeError> {
        let (job_tx, job_rx) = channel::<Job>();
        let (res_tx, res_rx) = channel::<(usize, Hash32)>();
        let thread = std::thread::Builder::new()
            .name("ree-trace-hash".into())
            .spawn(move || {
                while let Ok((slot, t)) = job_rx.recv() {
                    let h = t.hash();
                    // Release the tensor before reporting, so the step can take it back.
                    drop(t);
                    if res_tx.send((slot, h)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| ReeError::Config(format!("cannot start the trace hashing thread: {e}")))?;
        Ok(HashWorker {
            channels: Mutex::new(Some(Channels {
                jobs: job_tx,
                results: res_rx,
            })),
            thread: Some(thread),
        })
    }

    /// Take the worker for one step (waits while another step holds it).
    pub fn session(&self) -> Result<Session<'_>, ReeError> {
        let guard = self.channels.lock().map_err(|_| stopped())?;
        if guard.is_none() {
            return Err(stopped());
        }
        Ok(guard)
    }
}

impl Channels {
    /// Queue `t` to be hashed; its result comes back tagged `slot`.
    pub fn submit(&self, slot: usize, t: Arc<Tensor>) -> Result<(), ReeError> {
        self.jobs.send((slot, t)).map_err(|_| stopped())
    }

    /// Wait for the next result.
    pub fn recv(&self) -> Result<(usize, Hash32), ReeError> {
        self.results.recv().map_err(|_| stopped())
    }
}

impl Drop for HashWorker {
    fn drop(&mut self) {
        if let Ok(mut ch) = self.channels.lock() {
            ch.take();
        }
        if let Some(handle) = self.thread.take() {
            // The thread ends once the job channel is closed; hashing cannot panic.
            let _ = handle.join();
        }
    }
}
