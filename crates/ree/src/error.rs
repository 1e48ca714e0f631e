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
    /// An op was given the wrong number of input tensors.
    #[error("arity error in {op}: expected {expected} input tensors, got {got}")]
    Arity {
        /// The op that rejected its inputs.
        op: &'static str,
        /// How many inputs the op takes.
        expected: usize,
        /// How many were given.
        got: usize,
    },
    /// A tensor that must hold exact integer ids (class ids, token ids) holds a value that is not
    /// an integer in range.
    #[error("bad id in {op}: {detail}")]
    BadId {
        /// The op that rejected its inputs.
        op: &'static str,
        /// Which element, which value, and the allowed range.
        detail: String,
    },
    /// An op's attribute (a constant in its descriptor) is out of its allowed range.
    #[error("bad attribute in {op}: {detail}")]
    BadAttribute {
        /// The op whose descriptor is invalid.
        op: &'static str,
        /// Which attribute and why.
        detail: String,
    },
    /// A tensor's data length does not match its shape.
    #[error("tensor data has {got} elements but shape {shape:?} needs {expected}")]
    TensorLen {
        /// The requested shape.
        shape: Vec<usize>,
        /// The element count the shape implies.
        expected: usize,
        /// The element count supplied.
        got: usize,
    },
    /// The execution engine could not be configured as asked.
    #[error("execution config error: {0}")]
    Config(String),
    /// The job spec is not valid TOML for the schema (names the unknown or mistyped field).
    #[error("invalid job spec: {0}")]
    SpecParse(String),
    /// A job spec field has a value the job cannot run with.
    #[error("job spec field `{field}`: {message}")]
    Spec {
        /// The field, as `section.field`.
        field: String,
        /// What is wrong and what is allowed.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot write", ...).
        action: &'static str,
        /// The file.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A data file's contents do not fit the spec.
    #[error("data file {path}: {message}")]
    Data {
        /// The data file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A data file's blake3 differs from the one the spec names.
    #[error("data file {path} has blake3 {actual}, but the spec's data.blake3 is {expected}")]
    DataHash {
        /// The data file.
        path: String,
        /// The hash in the spec.
        expected: String,
        /// The hash of the file on disk.
        actual: String,
    },
    /// An op produced NaN or infinity; the run stops.
    #[error(
        "non-finite value (NaN/Inf) in the output of op #{op_index} ({op}) at step {step}; \
         lower train.lr or check the data"
    )]
    NonFinite {
        /// Training step (0-based).
        step: u64,
        /// Index of the op within the step's graph.
        op_index: usize,
        /// The op's name.
        op: String,
    },
    /// A checkpoint or trace file is unusable.
    #[error("checkpoint/trace {path}: {message}")]
    Checkpoint {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A single-op replay was refused (input hash mismatch, size limit).
    #[error("replay refused: {0}")]
    Replay(String),
    /// No built-in data set has this name.
    #[error("unknown data set `{0}`; `verity data list` shows the built-in ones")]
    UnknownDataset(String),
}
