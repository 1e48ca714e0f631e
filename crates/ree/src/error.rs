//! The one error enum of the `ree` crate. Messages tell the user what to fix.

/// Everything that can go wrong in reproducible execution.
#[derive(Debug, thiserror::Error)]
pub enum ReeError {
    /// Input tensors do not have the shapes an op requires.
    #[error("shape error in {op}: {detail}")]
    Shape {
        /// The op that rejected its inputs.
        op: &'static str,
        /// What was expected and what was found.
        detail: String,
    },
}
