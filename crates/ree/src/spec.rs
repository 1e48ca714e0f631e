//! The job spec: a TOML file naming the model, the data and the training schedule.
//!
//! Unknown fields anywhere are an error naming the field (`deny_unknown_fields`); values are
//! checked by [`JobSpec::validate`] (what can be checked without the data) and by the runner once
//! the data is loaded (layer widths against feature and class counts). Every error names the
//! field as `section.field`. See `docs/ree.md` for the full reference.

use serde::{Deserialize, Serialize};

use crate::ReeError;

/// A whole job spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// What to train.
    pub model: ModelSpec,
    /// What to train it on.
    pub data: DataSpec,
    /// How to train it.
    pub train: TrainSpec,
}

/// The model section; `kind` selects the variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ModelSpec {
    /// A multi-layer perceptron.
    Mlp(MlpSpec),
    /// A character-level decoder-only transformer language model.
    Transformer(TransformerSpec),
}

/// Multi-layer perceptron: `layers[0]` inputs, hidden widths, `layers[last]` outputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpSpec {
    /// Widths: input features, hidden layers, outputs (1 for regression, classes otherwise).
    pub layers: Vec<usize>,
    /// Activation between layers.
    #[serde(default)]
    pub activation: Activation,
    /// Regression (MSE on a continuous target) or classification (cross-entropy).
    #[serde(default)]
    pub task: Task,
}

/// Activation of the MLP's hidden layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x).
    #[default]
    Relu,
    /// Gaussian error linear unit (erf form).
    Gelu,
}

/// What the MLP predicts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Continuous target, mean squared error, one output.
    #[default]
    Regression,
    /// Class target (sorted distinct values become classes 0..C), cross-entropy, C outputs.
    Classification,
}

/// Char-level decoder-only transformer; the vocabulary comes from the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformerSpec {
    /// Width of the residual stream.
    pub d_model: usize,
    /// Attention heads; must divide `d_model`.
    pub heads: usize,
    /// Number of transformer blocks.
    pub layers: usize,
    /// Context length in characters.
    pub context: usize,
    /// Hidden width of each block's MLP (default 4 × d_model).
    #[serde(default)]
    pub d_ff: Option<usize>,
}

/// The data section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Path of the data file, relative to the spec file's folder.
    pub path: String,
    /// Expected blake3 of the file (hex); checked when given.
    #[serde(default)]
    pub blake3: Option<String>,
    /// File format.
    #[serde(default)]
    pub format: DataFormat,
    /// CSV: the target column.
    #[serde(default)]
    pub target: Option<String>,
    /// CSV: feature columns (default: every column but the target).
    #[serde(default)]
    pub features: Option<Vec<String>>,
    /// CSV: standardise each feature to mean 0, variance 1 (default true).
    #[serde(default = "yes")]
    pub standardize: bool,
}

fn yes() -> bool {
    true
}

/// Format of the data file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// Comma-separated with a header row.
    #[default]
    Csv,
    /// Plain UTF-8 text for the char model.
    Text,
}

/// The train section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Learning rate.
    pub lr: f32,
    /// Examples per step.
    pub batch_size: usize,
    /// Number of optimizer steps.
    pub steps: u64,
    /// Seed of the job's PRNG (initialisation and data order).
    pub seed: u64,
    /// Write a checkpoint every this many steps (0: never).
    #[serde(default)]
    pub checkpoint_every: u64,
    /// SGD momentum (default 0.9).
    #[serde(default)]
    pub momentum: Option<f32>,
    /// AdamW beta1 (default 0.9).
    #[serde(default)]
    pub beta1: Option<f32>,
    /// AdamW beta2 (default 0.999).
    #[serde(default)]
    pub beta2: Option<f32>,
    /// AdamW epsilon (default 1e-8).
    #[serde(default)]
    pub eps: Option<f32>,
    /// Decoupled weight decay (default 0.01 for AdamW, 0 for SGD).
    #[serde(default)]
    pub weight_decay: Option<f32>,
}

/// Optimizer choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// SGD with momentum.
    Sgd,
    /// Adam with decoupled weight decay.
    Adamw,
}

fn bad(field: &str, message: impl Into<String>) -> ReeError {
    ReeError::Spec {
        field: field.to_string(),
        message: message.into(),
    }
}

/// Upper bounds that keep a job within what one machine (and a referee) can hold.
pub const MAX_WIDTH: usize = 1 << 14;
/// Largest batch size accepted.
pub const MAX_BATCH: usize = 1 << 16;

impl JobSpec {
    /// Parse a spec from TOML text; unknown fields and wrong types are errors naming the field.
    pub fn from_toml(text: &str) -> Result<Self, ReeError> {
        let spec: JobSpec = toml::from_str(text).map_err(|e| ReeError::SpecParse(e.to_string()))?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks that need no data: positive sizes, finite rates, compatible options.
    pub fn validate(&self) -> Result<(), ReeError> {
        match &self.model {
            ModelSpec::Mlp(m) => {
                if m.layers.len() < 2 {
                    return Err(bad(
                        "model.layers",
                        "needs at least an input and an output width",
                    ));
                }
                if let Some(i) = m.layers.iter().position(|&w| w == 0 || w > MAX_WIDTH) {
                    return Err(bad(
                        "model.layers",
                        format!(
                            "width {} at index {i} must be in 1..={MAX_WIDTH}",
                            m.layers[i]
                        ),
                    ));
                }
                let last = *m.layers.last().expect("length checked above");
                if m.task == Task::Regression && last != 1 {
                    return Err(bad(
                        "model.layers",
                        format!("regression needs 1 output, the last width is {last}"),
                    ));
                }
                if self.data.format != DataFormat::Csv {
                    return Err(bad("data.format", "the mlp trains on csv data"));
                }
            }
            ModelSpec::Transformer(t) => {
                for (name, v) in [
                    ("model.d_model", t.d_model),
                    ("model.heads", t.heads),
                    ("model.layers", t.layers),
                    ("model.context", t.context),
                ] {
                    if v == 0 || v > MAX_WIDTH {
                        return Err(bad(name, format!("{v} must be in 1..={MAX_WIDTH}")));
                    }
                }
                if t.d_model % t.heads != 0 {
                    return Err(bad(
                        "model.heads",
                        format!("{} heads do not divide d_model {}", t.heads, t.d_model),
                    ));
                }
                if let Some(f) = t.d_ff
                    && (f == 0 || f > MAX_WIDTH)
                {
                    return Err(bad("model.d_ff", format!("{f} must be in 1..={MAX_WIDTH}")));
                }
                if self.data.format != DataFormat::Text {
                    return Err(bad("data.format", "the transformer trains on text data"));
                }
            }
        }
        if self.data.format == DataFormat::Csv && self.data.target.is_none() {
            return Err(bad(
                "data.target",
                "csv data needs the name of its target column",
            ));
        }
        if let Some(h) = &self.data.blake3
            && blake3::Hash::from_hex(h.trim()).is_err()
        {
            return Err(bad("data.blake3", "must be 64 hex characters"));
        }
        let t = &self.train;
        if !(t.lr.is_finite() && t.lr > 0.0) {
            return Err(bad("train.lr", format!("{} must be finite and > 0", t.lr)));
        }
        if t.batch_size == 0 || t.batch_size > MAX_BATCH {
            return Err(bad(
                "train.batch_size",
                format!("{} must be in 1..={MAX_BATCH}", t.batch_size),
            ));
        }
        if t.steps == 0 {
            return Err(bad("train.steps", "must be at least 1"));
        }
        for (name, v) in [
            ("train.momentum", t.momentum),
            ("train.beta1", t.beta1),
            ("train.beta2", t.beta2),
        ] {
            if let Some(v) = v
                && !(0.0..1.0).contains(&v)
            {
                return Err(bad(name, format!("{v} must be in [0, 1)")));
            }
        }
        if let Some(e) = t.eps
            && !(e.is_finite() && e > 0.0)
        {
            return Err(bad("train.eps", format!("{e} must be finite and > 0")));
        }
        if let Some(w) = t.weight_decay
            && !(w.is_finite() && w >= 0.0)
        {
            return Err(bad(
                "train.weight_decay",
                format!("{w} must be finite and >= 0"),
            ));
        }
        match t.optimizer {
            OptimizerKind::Sgd if t.beta1.is_some() || t.beta2.is_some() || t.eps.is_some() => {
                Err(bad(
                    "train.optimizer",
                    "beta1/beta2/eps are AdamW options, not SGD",
                ))
            }
            OptimizerKind::Adamw if t.momentum.is_some() => Err(bad(
                "train.momentum",
                "momentum is an SGD option; AdamW uses beta1",
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINE: &str = r#"
[model]
kind = "mlp"
layers = [11, 64, 64, 1]
activation = "relu"
[data]
path = "wine.csv"
format = "csv"
target = "quality"
[train]
optimizer = "adamw"
lr = 0.001
batch_size = 32
steps = 500
seed = 7
checkpoint_every = 50
"#;

    #[test]
    fn issue_example_parses() {
        let s = JobSpec::from_toml(WINE).expect("the issue's example is valid");
        assert_eq!(s.train.steps, 500);
        assert!(matches!(s.model, ModelSpec::Mlp(ref m) if m.layers == [11, 64, 64, 1]));
        assert!(s.data.standardize);
    }

    #[test]
    fn unknown_field_is_named() {
        let text = WINE.replace("seed = 7", "seed = 7\nlearning_rate = 3");
        let err = JobSpec::from_toml(&text)
            .expect_err("unknown field")
            .to_string();
        assert!(err.contains("learning_rate"), "{err}");
        let text = WINE.replace("activation = \"relu\"", "activation = \"relu\"\nwidth = 3");
        let err = JobSpec::from_toml(&text)
            .expect_err("unknown field")
            .to_string();
        assert!(err.contains("width"), "{err}");
    }

    #[test]
    fn bad_values_name_their_field() {
        for (from, to, field) in [
            (
                "layers = [11, 64, 64, 1]",
                "layers = [11, 64, 64, 3]",
                "model.layers",
            ),
            (
                "layers = [11, 64, 64, 1]",
                "layers = [11, 0, 1]",
                "model.layers",
            ),
            ("lr = 0.001", "lr = -1.0", "train.lr"),
            ("batch_size = 32", "batch_size = 0", "train.batch_size"),
            ("target = \"quality\"", "", "data.target"),
            (
                "path = \"wine.csv\"",
                "path = \"wine.csv\"\nblake3 = \"zz\"",
                "data.blake3",
            ),
        ] {
            let err = JobSpec::from_toml(&WINE.replace(from, to))
                .expect_err("invalid")
                .to_string();
            assert!(err.contains(field), "{field}: {err}");
        }
    }

    #[test]
    fn transformer_spec() {
        let text = r#"
[model]
kind = "transformer"
d_model = 32
heads = 3
layers = 2
context = 16
[data]
path = "t.txt"
format = "text"
[train]
optimizer = "adamw"
lr = 0.003
batch_size = 8
steps = 10
seed = 1
"#;
        let err = JobSpec::from_toml(text).expect_err("3 heads").to_string();
        assert!(err.contains("model.heads"), "{err}");
        let ok = JobSpec::from_toml(&text.replace("heads = 3", "heads = 4")).expect("valid");
        assert!(matches!(ok.model, ModelSpec::Transformer(ref t) if t.heads == 4));
    }
}
