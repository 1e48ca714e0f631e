//! Shared harness for the CLI integration tests: start the real `verity` binary (devnet or node)
//! on a free loopback port, read the address it bound from its first JSON line, talk to it over
//! HTTP, and always kill it at the end (a Drop guard, so a failing assertion cannot leak a node).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

/// Path of the binary under test.
pub fn verity_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_verity"))
}

/// A running node process; killed (SIGKILL) and reaped on drop.
pub struct NodeProc {
    /// The child process.
    pub child: Option<Child>,
    /// Base URL it serves, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// The first JSON line it printed (accounts, chain id, …).
    pub started: Value,
}

impl NodeProc {
    /// Start `verity --json devnet --data-dir DIR --http 127.0.0.1:0 --agents none` (the node
    /// alone) and wait for it to serve.
    pub fn devnet(data_dir: &Path) -> NodeProc {
        Self::spawn(&[
            "--json",
            "devnet",
            "--data-dir",
            data_dir.to_str().expect("temp paths are UTF-8"),
            "--http",
            "127.0.0.1:0",
            "--agents",
            "none",
        ])
    }

    /// Start `verity --json node --genesis FILE --data-dir DIR --http 127.0.0.1:0` and wait for it
    /// to serve.
    pub fn node(genesis: &Path, data_dir: &Path) -> NodeProc {
        Self::spawn(&[
            "--json",
            "node",
            "--genesis",
            genesis.to_str().expect("temp paths are UTF-8"),
            "--data-dir",
            data_dir.to_str().expect("temp paths are UTF-8"),
            "--http",
            "127.0.0.1:0",
        ])
    }

    /// Start the binary with `args`; its first stdout line must be `{"event":"started","url":…}`.
    pub fn spawn(args: &[&str]) -> NodeProc {
        let mut child = Command::new(verity_bin())
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn verity");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(first)) = lines.next() {
                let _ = tx.send(first);
            }
            // Keep draining so the node never blocks on a full pipe.
            for _ in lines {}
        });
        let mut guard = NodeProc {
            child: Some(child),
            url: String::new(),
            started: Value::Null,
        };
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) => l,
            Err(_) => panic!("node did not print its start line within 60 s (args {args:?})"),
        };
        let started: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("start line is not JSON ({e}): {line}"));
        guard.url = started["url"]
            .as_str()
            .unwrap_or_else(|| panic!("start line has no url: {line}"))
            .to_string();
        guard.started = started;
        guard.wait_ready();
        guard
    }

    fn wait_ready(&self) {
        for _ in 0..600 {
            if get(&self.url, "/v1/status").0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("node at {} never answered /v1/status", self.url);
    }

    /// Kill with SIGKILL (no clean shutdown) and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Send SIGTERM and wait (up to 30 s) for a clean exit; returns whether it exited with 0.
    pub fn terminate(&mut self) -> bool {
        let Some(mut c) = self.child.take() else {
            return false;
        };
        let sent = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(sent, "could not send SIGTERM to the node");
        for _ in 0..300 {
            if let Ok(Some(status)) = c.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = c.kill();
        let _ = c.wait();
        panic!("the node did not exit within 30 s of SIGTERM");
    }

    /// Dev account `i` from the start line: (address, hex private key).
    pub fn account(&self, i: usize) -> (String, String) {
        let a = &self.started["accounts"][i];
        (
            a["address"].as_str().expect("account address").to_string(),
            a["private_key"].as_str().expect("account key").to_string(),
        )
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn read(resp: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp
        .into_body()
        .read_to_string()
        .unwrap_or_else(|e| format!("<unreadable body: {e}>"));
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// GET `path`; (status, JSON body or the raw text as a JSON string). Status 0 = no connection.
pub fn get(url: &str, path: &str) -> (u16, Value) {
    match agent().get(format!("{url}{path}")).call() {
        Ok(r) => read(r),
        Err(e) => (0, Value::String(e.to_string())),
    }
}

/// POST a raw body with content-type JSON.
pub fn post_raw(url: &str, path: &str, body: &[u8]) -> (u16, Value) {
    match agent()
        .post(format!("{url}{path}"))
        .header("content-type", "application/json")
        .send(body)
    {
        Ok(r) => read(r),
        Err(e) => (0, Value::String(e.to_string())),
    }
}

/// Run the CLI to completion with `args` and extra env; (exit ok, stdout, stderr).
pub fn run_cli(args: &[&str], env: &[(&str, &str)]) -> (bool, String, String) {
    let out = Command::new(verity_bin())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run verity");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Run the CLI with `--json` and parse its one JSON object from stdout.
pub fn run_json(args: &[&str], env: &[(&str, &str)]) -> (bool, Value) {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let (ok, out, err) = run_cli(&full, env);
    let v = serde_json::from_str(out.trim()).unwrap_or_else(|e| {
        panic!("stdout of {args:?} is not one JSON object ({e}): {out}\nstderr: {err}")
    });
    (ok, v)
}

/// secp256k1 group order n, big-endian.
const N: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// The malleated twin of a low-s signature: (r, n − s, v flipped). It recovers the same signer,
/// so only the low-s rule rejects it.
pub fn high_s_twin(sig: &[u8; 65]) -> [u8; 65] {
    let mut out = *sig;
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(N[i]) - i16::from(sig[32 + i]) - borrow;
        let (v, b) = if d < 0 { (d + 256, 1) } else { (d, 0) };
        out[32 + i] = v as u8;
        borrow = b;
    }
    out[64] = match sig[64] {
        27 => 28,
        28 => 27,
        0 => 1,
        _ => 0,
    };
    out
}
