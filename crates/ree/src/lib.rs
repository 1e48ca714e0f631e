//! Reproducible execution (REE): the same job gives the same bits on any machine, any thread
//! count and any SIMD width, so a dispute can be settled by re-running one operation.
//!
//! Layers, bottom up:
//! - [`tensor`]: row-major f32 tensors and their canonical hash.
//! - [`kernels`]: every op's scalar reference and its fast path (SIMD + threads), bit-identical.
//! - [`ops`]: the [`ops::Op`] descriptor enum and [`ops::execute`], the one entry point for every
//!   operation a training step records (forward, backward, optimizer update).

pub mod error;
pub mod kernels;
pub mod ops;
pub mod tensor;

// Training half: job specs, data, PRNG, models, training loop, trace, outputs.
pub mod checkpoint;
pub mod data;
pub mod model;
pub mod prng;
pub mod receipt;
pub mod replay;
pub mod runner;
pub mod spec;
pub mod trace;
pub mod train;

pub use error::ReeError;
pub use kernels::{Exec, KernelChoice};
pub use ops::{KERNEL_SEMANTICS_VERSION, Op, execute};
pub use tensor::Tensor;
