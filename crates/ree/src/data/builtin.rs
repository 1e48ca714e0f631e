//! Built-in real data sets, shipped inside the `linfa-datasets` crate, exported as CSV so a new
//! user can run a job at once (`verity data list`, `verity data export NAME --out FILE`).

use crate::ReeError;

/// One built-in data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    /// Name used on the command line.
    pub name: &'static str,
    /// Name of the target column in the exported CSV.
    pub target: &'static str,
    /// One line for people.
    pub description: &'static str,
}

/// Every built-in data set.
pub const BUILTINS: [Builtin; 2] = [
    Builtin {
        name: "winequality",
        target: "quality",
        description: "Red wine quality (UCI): 1599 wines, 11 physico-chemical features, \
                      quality score 3-8 (regression or classification)",
    },
    Builtin {
        name: "iris",
        target: "species",
        description: "Fisher's iris: 150 flowers, 4 measurements, 3 species (classification)",
    },
];

/// A data set exported as CSV text.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    /// The CSV text, header first.
    pub csv: String,
    /// Data rows (without the header).
    pub rows: usize,
    /// Columns, target included.
    pub cols: usize,
}

/// Look a built-in up by name; `wine`/`wine-quality` are accepted for `winequality`.
pub fn find(name: &str) -> Result<Builtin, ReeError> {
    let canonical = match name {
        "wine" | "wine-quality" | "wine_quality" => "winequality",
        other => other,
    };
    BUILTINS
        .iter()
        .copied()
        .find(|b| b.name == canonical)
        .ok_or_else(|| ReeError::UnknownDataset(name.to_string()))
}

/// Export a built-in data set as CSV: a header with the feature names (commas removed) and the
/// target column last; numbers in Rust's shortest round-trip form.
pub fn export(name: &str) -> Result<Exported, ReeError> {
    let b = find(name)?;
    let ds = match b.name {
        "winequality" => linfa_datasets::winequality(),
        _ => linfa_datasets::iris(),
    };
    let records = &ds.records;
    let (rows, feats) = (records.nrows(), records.ncols());
    let mut out = String::new();
    let names: Vec<String> = ds
        .feature_names()
        .iter()
        .map(|n| n.replace(',', " "))
        .collect();
    for n in &names {
        out.push_str(n);
        out.push(',');
    }
    out.push_str(b.target);
    out.push('\n');
    for (row, target) in records.rows().into_iter().zip(ds.targets.iter()) {
        for v in row.iter() {
            out.push_str(&v.to_string());
            out.push(',');
        }
        out.push_str(&target.to_string());
        out.push('\n');
    }
    Ok(Exported {
        csv: out,
        rows,
        cols: feats + 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wine_and_iris_export() {
        let w = export("winequality").expect("built in");
        assert_eq!((w.rows, w.cols), (1599, 12));
        assert!(w.csv.starts_with("fixed acidity,"));
        assert!(w.csv.lines().next().expect("header").ends_with(",quality"));
        assert_eq!(w.csv.lines().count(), 1600);
        let i = export("iris").expect("built in");
        assert_eq!((i.rows, i.cols), (150, 5));
        assert!(matches!(export("mnist"), Err(ReeError::UnknownDataset(_))));
    }
}
