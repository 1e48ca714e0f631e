//! Subcommands of `verity`, one module each, plus the shared output helpers.

/// Print an error for a person (`error: …` with its causes) or as `{"error": "…"}` with `--json`.
pub fn print_error(err: &anyhow::Error, json: bool) {
    if json {
        let causes: Vec<String> = err.chain().skip(1).map(|c| c.to_string()).collect();
        let v = serde_json::json!({ "error": err.to_string(), "causes": causes });
        eprintln!("{v}");
    } else {
        eprintln!("error: {err}");
        for cause in err.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
    }
}
