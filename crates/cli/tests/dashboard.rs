//! Issue 8, the dashboard in a real browser: start `verity devnet` with its agents on a random
//! loopback port, then run `node web/tests/dashboard.spec.mjs URL SCREENSHOT` — headless Debian
//! `chromium` driven by `playwright-core` — which opens the dashboard at `/`, sees a job go from
//! posted to settled and its provider's TBILL balance rise, and saves a full-page screenshot as
//! `target/tmp/dashboard.png` (the test artifact).
//!
//! Needs `node`, `chromium` (or `CHROMIUM=/path`) and `npm ci` in `web/tests`; `.ci/run` installs
//! them. With `CI` set a missing piece fails the test; locally it skips with a loud message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{NodeProc, get};

fn web_tests() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/tests")
}

/// What is missing to run the browser, if anything.
fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !node_ok {
        missing.push("`node` (apt-get install nodejs npm)".to_string());
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !Path::new(&chromium).exists() {
        missing.push(format!("{chromium} (apt-get install chromium)"));
    }
    if !web_tests().join("node_modules/playwright-core").exists() {
        missing.push("web/tests/node_modules/playwright-core (npm ci in web/tests)".to_string());
    }
    missing
}

#[test]
fn dashboard_shows_a_job_settle_and_tbill_rise_in_headless_chromium() {
    let missing = missing_tools();
    if !missing.is_empty() {
        let msg = format!("the dashboard browser test needs: {}", missing.join(", "));
        if std::env::var_os("CI").is_some() {
            panic!("{msg} (CI is set, so this is a failure, not a skip)");
        }
        eprintln!("\n!!!!!!!!!! SKIPPED: {msg} !!!!!!!!!!\n");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("devnet");
    let node = NodeProc::spawn(&[
        "--json",
        "devnet",
        "--data-dir",
        data.to_str().unwrap(),
        "--http",
        "127.0.0.1:0",
        "--job-interval-secs",
        "3",
    ]);

    // The page and its assets are served with their content types.
    let (status, body) = get(&node.url, "/");
    assert_eq!(status, 200);
    assert!(body.as_str().unwrap_or("").contains("/dashboard/app.js"));

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    let out = Command::new("node")
        .arg("dashboard.spec.mjs")
        .arg(format!("{}/", node.url))
        .arg(&shot)
        .current_dir(web_tests())
        .env("TIMEOUT_MS", "300000")
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "the browser test failed (screenshot, if any, at {}):\n{stdout}\n{stderr}",
        shot.display()
    );
    assert!(stdout.contains("→ Settled on the page"), "{stdout}");
    let png = std::fs::read(&shot).expect("the screenshot was saved");
    assert!(
        png.len() > 10_000 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a real PNG screenshot ({} bytes)",
        shot.display(),
        png.len()
    );
    println!("screenshot: {}", shot.display());
}
