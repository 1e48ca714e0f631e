//! A background thread that computes tensor hashes while the training step goes on computing,
//! so tracing costs the critical path only a pointer send per op output. Hash values are pure
//! functions of the tensors: which thread computes them, and when, never changes a bit.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use crate::ReeError;
use crate::tensor::Tensor;
use crate::trace::Hash32;

type Job = (usize, Arc<Tensor>);

/// The hashing thread and its two channels (jobs in, `(slot, hash)` out).
pub struct HashWorker {
    jobs: Mutex<Option<Sender<Job>>>,
    results: Mutex<Receiver<(usize, Hash32)>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

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
            jobs: Mutex::new(Some(job_tx)),
            results: Mutex::new(res_rx),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queue `t` to be hashed; its result comes back tagged `slot`.
    pub fn submit(&self, slot: usize, t: Arc<Tensor>) -> Result<(), ReeError> {
        let guard = self.jobs.lock().map_err(|_| stopped())?;
        guard
            .as_ref()
            .ok_or_else(stopped)?
            .send((slot, t))
            .map_err(|_| stopped())
    }

    /// Wait for the next result.
    pub fn recv(&self) -> Result<(usize, Hash32), ReeError> {
        self.results
            .lock()
            .map_err(|_| stopped())?
            .recv()
            .map_err(|_| stopped())
    }
}

impl Drop for HashWorker {
    fn drop(&mut self) {
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
        if let Ok(mut t) = self.thread.lock()
            && let Some(handle) = t.take()
        {
            // The thread ends once the job channel is closed; it cannot panic (hashing is total).
            let _ = handle.join();
        }
    }
}
