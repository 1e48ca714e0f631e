//! Runs the real `verity` binary: `data list`, `data export`, `job run-local --json`, and a bad
//! spec's error.

use std::process::Command;

fn verity() -> Command {
    Command::new(env!("CARGO_BIN_EXE_verity"))
}

#[test]
fn data_export_then_run_local_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let list = verity()
        .args(["data", "list", "--json"])
        .output()
        .expect("runs");
    assert!(list.status.success());
    let v: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    assert_eq!(v["datasets"].as_array().expect("array").len(), 2);

    let csv = dir.path().join("wine.csv");
    let out = verity()
        .args(["data", "export", "winequality", "--out"])
        .arg(&csv)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("1599 rows") && text.contains("12 columns"),
        "{text}"
    );

    let spec = dir.path().join("job.toml");
    std::fs::write(
        &spec,
        r#"[model]
kind = "mlp"
layers = [11, 16, 1]
activation = "relu"
[data]
path = "wine.csv"
format = "csv"
target = "quality"
[train]
optimizer = "adamw"
lr = 0.003
batch_size = 32
steps = 20
seed = 7
checkpoint_every = 10
"#,
    )
    .expect("write spec");
    let outdir = dir.path().join("out");
    let mut roots = Vec::new();
    for (threads, kernel) in [("1", "scalar"), ("2", "simd")] {
        let run = verity()
            .args(["job", "run-local"])
            .arg(&spec)
            .arg("--out")
            .arg(&outdir)
            .args(["--threads", threads, "--kernel", kernel, "--json"])
            .output()
            .expect("runs");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let r: serde_json::Value = serde_json::from_slice(&run.stdout).expect("one JSON object");
        for key in ["trace_root", "output_hash", "steps", "ops_per_step"] {
            assert!(!r[key].is_null(), "receipt lacks {key}: {r}");
        }
        assert_eq!(r["steps"], 20);
        roots.push(r["trace_root"].as_str().expect("hex").to_string());
    }
    assert_eq!(roots[0], roots[1]);
    for f in [
        "weights.safetensors",
        "metrics.json",
        "trace.json",
        "receipt.json",
        "checkpoints/step-00000010.safetensors",
        "checkpoints/step-00000020.safetensors",
    ] {
        assert!(outdir.join(f).exists(), "missing {f}");
    }
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(outdir.join("metrics.json")).expect("read"))
            .expect("json");
    assert_eq!(metrics["loss"].as_array().expect("array").len(), 20);

    // Diff: a trace against itself agrees; with one op leaf changed, the step and op are named.
    let trace = outdir.join("trace.json");
    let diff = verity()
        .args(["job", "diff", "--json"])
        .arg(&trace)
        .arg(&trace)
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&diff.stdout).expect("json");
    assert_eq!(v["diverges"], false);
    let mut t: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&trace).expect("read")).expect("json");
    let leaf = t["layout"]
        .as_array()
        .expect("layout")
        .iter()
        .position(|l| l.get("Op").is_some_and(|o| o["name"] == "relu"))
        .expect("a relu op");
    t["steps"][7]["leaves"][leaf] = serde_json::Value::String("ab".repeat(32));
    let leaves: Vec<String> = t["steps"][7]["leaves"]
        .as_array()
        .expect("leaves")
        .iter()
        .map(|l| l.as_str().expect("hex").to_string())
        .collect();
    let hashes: Vec<[u8; 32]> = leaves
        .iter()
        .map(|h| verity_ree::trace::from_hex(h).expect("hex"))
        .collect();
    t["steps"][7]["hash"] = serde_json::Value::String(verity_ree::trace::to_hex(
        &verity_ree::trace::merkle::root(&hashes),
    ));
    let forged = dir.path().join("forged.json");
    std::fs::write(&forged, t.to_string()).expect("write");
    let diff = verity()
        .args(["job", "diff", "--json"])
        .arg(&trace)
        .arg(&forged)
        .output()
        .expect("runs");
    let v: serde_json::Value = serde_json::from_slice(&diff.stdout).expect("json");
    assert_eq!(v["diverges"], true, "{v}");
    assert_eq!(v["step"], 7);
    assert_eq!(v["leaf"], leaf);
    assert_eq!(v["what"], "op `relu`");
    assert_eq!(v["proofs_verified"], true);

    // A bad spec fails with the field named.
    std::fs::write(
        &spec,
        std::fs::read_to_string(&spec)
            .expect("read")
            .replace("seed = 7", "seed = 7\nbogus = 1"),
    )
    .expect("write");
    let bad = verity()
        .args(["job", "run-local"])
        .arg(&spec)
        .arg("--out")
        .arg(&outdir)
        .output()
        .expect("runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bogus"));
}
