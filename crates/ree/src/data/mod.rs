//! Training data: loading a job's data file (CSV table or plain text), its content hash, and the
//! canonical batch order (an epoch-wise Fisher-Yates permutation from the job's PRNG).
//!
//! - CSV: a header row; the target column is `data.target`; features are `data.features` or every
//!   other column. Values parse as f64. Features are standardised per column in f64 (mean, then
//!   population variance, both summed in row order; a constant column keeps std 1) and rounded
//!   to f32 once. Regression targets are the f32 values; for classification the sorted distinct
//!   target values (numerically when all parse as numbers) become classes `0..C`.
//! - Text: UTF-8; vocabulary = the sorted distinct chars; tokens are their indices. An example is
//!   a window start `p` in `0..len - context`; inputs are tokens `p..p+context`, targets
//!   `p+1..p+context+1`.

pub mod builtin;

use std::path::Path;

use crate::ReeError;
use crate::prng::epoch_permutation;
use crate::spec::{DataFormat, DataSpec, Task};

/// A numeric table: features row-major plus one target per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Rows.
    pub rows: usize,
    /// Feature columns.
    pub cols: usize,
    /// Features, `rows × cols`, row-major.
    pub x: Vec<f32>,
    /// Target per row: the value (regression) or the class index (classification).
    pub y: Vec<f32>,
    /// Class labels in class-index order (classification only).
    pub classes: Option<Vec<String>>,
    /// Feature column names.
    pub features: Vec<String>,
}

/// A tokenised text.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// Sorted distinct characters; a token is an index into this.
    pub vocab: Vec<char>,
    /// The text as token ids.
    pub tokens: Vec<u32>,
}

/// A loaded data set.
#[derive(Clone, Debug, PartialEq)]
pub enum Dataset {
    /// CSV data.
    Table(Table),
    /// Text data.
    Text(Text),
}

/// The blake3 of a data file's bytes, hex.
pub fn hash_hex(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Read the data file named by `spec` (relative to `base`), check its blake3 when the spec names
/// one, and parse it. Returns the data set and the file's blake3.
pub fn load(spec: &DataSpec, base: &Path, task: Task) -> Result<(Dataset, [u8; 32]), ReeError> {
    let path = base.join(&spec.path);
    let shown = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|source| ReeError::Io {
        action: "cannot read data file",
        path: shown.clone(),
        source,
    })?;
    let hash = *blake3::hash(&bytes).as_bytes();
    if let Some(expected) = &spec.blake3 {
        let actual = hash_hex(&bytes);
        if !expected.trim().eq_ignore_ascii_case(&actual) {
            return Err(ReeError::DataHash {
                path: shown,
                expected: expected.trim().to_string(),
                actual,
            });
        }
    }
    let ds = match spec.format {
        DataFormat::Csv => Dataset::Table(parse_csv(&bytes, spec, task, &shown)?),
        DataFormat::Text => Dataset::Text(parse_text(&bytes, &shown)?),
    };
    Ok((ds, hash))
}

fn data_err(path: &str, message: impl Into<String>) -> ReeError {
    ReeError::Data {
        path: path.to_string(),
        message: message.into(),
    }
}

/// Parse CSV bytes as described in the module doc.
pub fn parse_csv(bytes: &[u8], spec: &DataSpec, task: Task, path: &str) -> Result<Table, ReeError> {
    let target = spec
        .target
        .as_deref()
        .ok_or_else(|| data_err(path, "csv data needs data.target"))?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| data_err(path, format!("bad header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    let col = |name: &str, field: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| ReeError::Spec {
                field: field.to_string(),
                message: format!(
                    "column `{name}` is not in {path} (columns: {})",
                    header.join(", ")
                ),
            })
    };
    let t_idx = col(target, "data.target")?;
    let f_idx: Vec<usize> = match &spec.features {
        Some(list) => list
            .iter()
            .map(|f| col(f, "data.features"))
            .collect::<Result<_, _>>()?,
        None => (0..header.len()).filter(|&i| i != t_idx).collect(),
    };
    if f_idx.is_empty() {
        return Err(data_err(path, "no feature columns"));
    }
    let mut feats: Vec<f64> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    for (r, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| data_err(path, format!("row {}: {e}", r + 2)))?;
        if rec.len() != header.len() {
            return Err(data_err(
                path,
                format!(
                    "row {} has {} fields, the header {}",
                    r + 2,
                    rec.len(),
                    header.len()
                ),
            ));
        }
        for &i in &f_idx {
            let v: f64 = rec[i].trim().parse().map_err(|_| {
                data_err(
                    path,
                    format!(
                        "row {}, column `{}`: `{}` is not a number",
                        r + 2,
                        header[i],
                        &rec[i]
                    ),
                )
            })?;
            if !v.is_finite() {
                return Err(data_err(path, format!("row {}: non-finite value", r + 2)));
            }
            feats.push(v);
        }
        targets.push(rec[t_idx].trim().to_string());
    }
    let rows = targets.len();
    if rows == 0 {
        return Err(data_err(path, "no data rows"));
    }
    let cols = f_idx.len();
    if spec.standardize {
        standardize(&mut feats, rows, cols);
    }
    let (y, classes) = match task {
        Task::Regression => {
            let y = targets
                .iter()
                .enumerate()
                .map(|(r, t)| {
                    t.parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .map(|v| v as f32)
                        .ok_or_else(|| {
                            data_err(path, format!("row {}: target `{t}` is not a number", r + 2))
                        })
                })
                .collect::<Result<Vec<f32>, _>>()?;
            (y, None)
        }
        Task::Classification => {
            let mut labels: Vec<String> = targets.clone();
            let numeric: Option<Vec<f64>> = labels.iter().map(|t| t.parse().ok()).collect();
            match numeric {
                Some(_) => labels.sort_by(|a, b| {
                    let (x, y): (f64, f64) = (
                        a.parse().expect("all parse, checked above"),
                        b.parse().expect("all parse, checked above"),
                    );
                    x.total_cmp(&y)
                }),
                None => labels.sort(),
            }
            labels.dedup();
            let y = targets
                .iter()
                .map(|t| {
                    labels
                        .iter()
                        .position(|l| l == t)
                        .expect("label from targets") as f32
                })
                .collect();
            (y, Some(labels))
        }
    };
    Ok(Table {
        rows,
        cols,
        x: feats.into_iter().map(|v| v as f32).collect(),
        y,
        classes,
        features: f_idx.iter().map(|&i| header[i].clone()).collect(),
    })
}

fn standardize(x: &mut [f64], rows: usize, cols: usize) {
    for c in 0..cols {
        let mut sum = 0.0f64;
        for r in 0..rows {
            sum += x[r * cols + c];
        }
        let mean = sum / rows as f64;
        let mut ss = 0.0f64;
        for r in 0..rows {
            let d = x[r * cols + c] - mean;
            ss += d * d;
        }
        let std = (ss / rows as f64).sqrt();
        let std = if std > 0.0 { std } else { 1.0 };
        for r in 0..rows {
            x[r * cols + c] = (x[r * cols + c] - mean) / std;
        }
    }
}

/// Parse UTF-8 text into vocabulary and tokens.
pub fn parse_text(bytes: &[u8], path: &str) -> Result<Text, ReeError> {
    let s = std::str::from_utf8(bytes).map_err(|e| data_err(path, format!("not UTF-8: {e}")))?;
    let mut vocab: Vec<char> = s.chars().collect();
    vocab.sort_unstable();
    vocab.dedup();
    if vocab.len() < 2 {
        return Err(data_err(
            path,
            "text needs at least two distinct characters",
        ));
    }
    let tokens = s
        .chars()
        .map(|c| vocab.binary_search(&c).expect("char is in its own vocab") as u32)
        .collect();
    Ok(Text { vocab, tokens })
}

/// Where the data order stands: the epoch and the position within its permutation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Current epoch (its permutation is `epoch_permutation(seed, epoch, n)`).
    pub epoch: u32,
    /// Examples of this epoch already used.
    pub pos: u32,
}

impl Cursor {
    /// The canonical bytes of the cursor, hashed into the state root.
    pub fn to_bytes(self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..4].copy_from_slice(&self.epoch.to_le_bytes());
        b[4..].copy_from_slice(&self.pos.to_le_bytes());
        b
    }
}

/// Draws the example indices of each batch: the next `batch` entries of the current epoch's
/// permutation, continuing into the next epoch's permutation when one runs out.
#[derive(Clone, Debug)]
pub struct Batcher {
    seed: u64,
    n: u32,
    cursor: Cursor,
    perm: Vec<u32>,
}

impl Batcher {
    /// A batcher over `n` examples for the job `seed`, positioned at `cursor`.
    pub fn new(seed: u64, n: u32, cursor: Cursor) -> Self {
        Self {
            seed,
            n,
            cursor,
            perm: epoch_permutation(seed, cursor.epoch, n),
        }
    }

    /// The cursor after the batches drawn so far.
    pub fn cursor(&self) -> Cursor {
        self.cursor
    }

    /// The next `batch` example indices.
    pub fn next_batch(&mut self, batch: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(batch);
        while out.len() < batch {
            if self.cursor.pos >= self.n {
                self.cursor = Cursor {
                    epoch: self.cursor.epoch + 1,
                    pos: 0,
                };
                self.perm = epoch_permutation(self.seed, self.cursor.epoch, self.n);
            }
            out.push(self.perm[self.cursor.pos as usize]);
            self.cursor.pos += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(target: &str) -> DataSpec {
        DataSpec {
            path: "x.csv".into(),
            blake3: None,
            format: DataFormat::Csv,
            target: Some(target.into()),
            features: None,
            standardize: false,
        }
    }

    #[test]
    fn csv_regression_and_classes() {
        let csv = b"a,b,y\n1,2,5\n3,4,3\n5,6,5\n";
        let t = parse_csv(csv, &spec("y"), Task::Regression, "x.csv").expect("valid");
        assert_eq!((t.rows, t.cols), (3, 2));
        assert_eq!(t.x, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(t.y, vec![5.0, 3.0, 5.0]);
        let c = parse_csv(csv, &spec("y"), Task::Classification, "x.csv").expect("valid");
        assert_eq!(c.y, vec![1.0, 0.0, 1.0]);
        assert_eq!(c.classes, Some(vec!["3".to_string(), "5".to_string()]));
    }

    #[test]
    fn csv_errors_name_column_and_row() {
        let err = parse_csv(b"a,y\n1,2\n", &spec("z"), Task::Regression, "f.csv")
            .expect_err("no column z")
            .to_string();
        assert!(err.contains("data.target") && err.contains('z'), "{err}");
        let err = parse_csv(b"a,y\nx,2\n", &spec("y"), Task::Regression, "f.csv")
            .expect_err("not a number")
            .to_string();
        assert!(err.contains("f.csv") && err.contains("row 2"), "{err}");
    }

    #[test]
    fn standardized_columns() {
        let mut s = spec("y");
        s.standardize = true;
        let t = parse_csv(b"a,y\n1,0\n3,0\n", &s, Task::Regression, "x.csv").expect("valid");
        assert_eq!(t.x, vec![-1.0, 1.0]);
    }

    #[test]
    fn text_vocab() {
        let t = parse_text("abca".as_bytes(), "t.txt").expect("valid");
        assert_eq!(t.vocab, vec!['a', 'b', 'c']);
        assert_eq!(t.tokens, vec![0, 1, 2, 0]);
    }

    #[test]
    fn batches_cover_each_epoch_once() {
        let mut b = Batcher::new(9, 10, Cursor::default());
        let mut first: Vec<u32> = b.next_batch(4);
        first.extend(b.next_batch(4));
        first.extend(b.next_batch(2));
        let mut sorted = first.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_eq!(b.cursor(), Cursor { epoch: 0, pos: 10 });
        let _ = b.next_batch(3);
        assert_eq!(b.cursor(), Cursor { epoch: 1, pos: 3 });
        // Resuming from a cursor continues identically.
        let mut again = Batcher::new(9, 10, Cursor { epoch: 1, pos: 3 });
        assert_eq!(again.next_batch(5), b.next_batch(5));
    }
}
