//! Bad input gives clear errors naming the field or file; NaN/Inf stops the run naming the step
//! and op.

mod common;

use common::*;
use verity_ree::ReeError;
use verity_ree::runner::RunOptions;

fn err_of(dir: &std::path::Path, text: &str) -> String {
    let spec = write_spec(dir, "bad.toml", text);
    run(&spec, &RunOptions::default())
        .expect_err("must fail")
        .to_string()
}

#[test]
fn unknown_field_is_named() {
    let dir = job_dir();
    let good = mlp_spec("[11, 8, 1]", "adamw", "0.001", 2, 0);
    let e = err_of(
        dir.path(),
        &good.replace("seed = 7", "seed = 7\nshuffle = true"),
    );
    assert!(e.contains("shuffle"), "{e}");
    let e = err_of(
        dir.path(),
        &good.replace("format = \"csv\"", "format = \"csv\"\nsep = \";\""),
    );
    assert!(e.contains("sep"), "{e}");
}

#[test]
fn bad_shape_names_the_field() {
    let dir = job_dir();
    let e = err_of(dir.path(), &mlp_spec("[12, 8, 1]", "adamw", "0.001", 2, 0));
    assert!(
        e.contains("model.layers") && e.contains("11 feature columns"),
        "{e}"
    );
    let e = err_of(dir.path(), &mlp_spec("[11, 8, 2]", "adamw", "0.001", 2, 0));
    assert!(e.contains("model.layers"), "{e}");
    // Classification: the last width must be the class count (iris: 3 species).
    let iris = mlp_spec("[4, 8, 2]", "adamw", "0.01", 2, 0)
        .replace(
            "activation = \"relu\"",
            "activation = \"relu\"\ntask = \"classification\"",
        )
        .replace("wine.csv", "iris.csv")
        .replace("\"quality\"", "\"species\"");
    let e = err_of(dir.path(), &iris);
    assert!(e.contains("model.layers") && e.contains("3 classes"), "{e}");
    let ok = write_spec(
        dir.path(),
        "iris.toml",
        &iris.replace("[4, 8, 2]", "[4, 8, 3]"),
    );
    run(&ok, &RunOptions::default()).expect("iris classification runs");
    let e = err_of(
        dir.path(),
        &lm_spec(2, 0, "0.001").replace("context = 16", "context = 5000"),
    );
    assert!(e.contains("model.context"), "{e}");
}

#[test]
fn missing_file_is_named() {
    let dir = job_dir();
    let e = err_of(
        dir.path(),
        &mlp_spec("[11, 8, 1]", "adamw", "0.001", 2, 0).replace("wine.csv", "nope.csv"),
    );
    assert!(e.contains("nope.csv"), "{e}");
    let e = run(&dir.path().join("absent.toml"), &RunOptions::default())
        .expect_err("no spec")
        .to_string();
    assert!(e.contains("absent.toml"), "{e}");
}

#[test]
fn hash_mismatch_names_the_file() {
    let dir = job_dir();
    let good = mlp_spec("[11, 8, 1]", "adamw", "0.001", 2, 0);
    let wrong = "00".repeat(32);
    let e = err_of(
        dir.path(),
        &good.replace(
            "path = \"wine.csv\"",
            &format!("path = \"wine.csv\"\nblake3 = \"{wrong}\""),
        ),
    );
    assert!(e.contains("wine.csv") && e.contains("data.blake3"), "{e}");
    let right = blake3::hash(&std::fs::read(dir.path().join("wine.csv")).expect("read"))
        .to_hex()
        .to_string();
    let spec = write_spec(
        dir.path(),
        "ok.toml",
        &good.replace(
            "path = \"wine.csv\"",
            &format!("path = \"wine.csv\"\nblake3 = \"{right}\""),
        ),
    );
    let out = run(&spec, &RunOptions::default()).expect("hash matches");
    assert_eq!(out.receipt.data_hash, right);
}

#[test]
fn nan_stops_the_run_naming_step_and_op() {
    let dir = job_dir();
    let spec = write_spec(
        dir.path(),
        "nan.toml",
        &mlp_spec("[11, 8, 1]", "sgd", "1e30", 20, 0),
    );
    let err = run(&spec, &RunOptions::default()).expect_err("diverges");
    match &err {
        ReeError::NonFinite { step, op, .. } => {
            assert!(*step < 20);
            assert!(!op.is_empty());
        }
        other => panic!("expected NonFinite, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("step") && msg.contains("op #"), "{msg}");
}
