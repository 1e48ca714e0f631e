//! Scans the ledger's source for things that break determinism and that clippy cannot ban:
//! float types, hash-ordered collections, the wall clock and randomness. Comments are ignored.

use std::path::{Path, PathBuf};

const BANNED: [&str; 8] = [
    "f32",
    "f64",
    "HashMap",
    "HashSet",
    "SystemTime",
    "Instant",
    "rand::",
    "thread_rng",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("read the source directory");
    for e in entries {
        let p = e.expect("directory entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// True if `word` occurs in `line` as a whole identifier-ish token.
fn has_token(line: &str, word: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(i) = line[start..].find(word) {
        let at = start + i;
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        let word_ends_with_ident = word.chars().next_back().is_some_and(ident);
        let glued = before.is_some_and(ident) || (word_ends_with_ident && after.is_some_and(ident));
        if !glued {
            return true;
        }
        start = at + word.len();
    }
    false
}

/// serde's `Serializer` trait makes the receipt-leaf encoder name `f32`/`f64` in two method
/// signatures; those methods only return an error. Nothing else in that file may use floats.
fn serde_float_signature(f: &Path, code: &str) -> bool {
    f.ends_with("receipt_leaf.rs")
        && (code
            .trim_start()
            .starts_with("fn serialize_f32(self, _: f32)")
            || code
                .trim_start()
                .starts_with("fn serialize_f64(self, _: f64)"))
}

#[test]
fn ledger_source_has_no_floats_hashmaps_clocks_or_randomness() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 5, "found the sources");
    let mut hits = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read a source file");
        for (n, raw) in text.lines().enumerate() {
            let code = raw.split("//").next().unwrap_or("");
            for w in BANNED {
                if has_token(code, w) && !serde_float_signature(f, code) {
                    hits.push(format!(
                        "{}:{}: `{w}` in: {}",
                        f.display(),
                        n + 1,
                        raw.trim()
                    ));
                }
            }
        }
    }
    assert!(
        hits.is_empty(),
        "non-deterministic constructs in the ledger:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_scanner_finds_what_it_should() {
    assert!(has_token("let x: f64 = 1.0;", "f64"));
    assert!(has_token("use std::collections::HashMap;", "HashMap"));
    assert!(!has_token("let buf64 = 1;", "f64"));
    assert!(!has_token("let my_f32x = 1;", "f32"));
    assert!(has_token("rand::random()", "rand::"));
    assert!(!has_token("operand::x", "rand::"));
}
