//! `verity node --genesis FILE --data-dir DIR --http ADDR`: run a node in the foreground until
//! SIGINT/SIGTERM. Also the hidden `verity node verify --data-dir DIR`, which replays every stored
//! block on a fresh genesis state and checks headers, receipts and the final state root.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use serde_json::json;
use verity_ledger::{BlockInput, Genesis, State, apply_block};
use verity_node::NodeConfig;
use verity_store::Store;

use super::Ctx;

/// Arguments of `verity node`.
#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct NodeArgs {
    #[command(subcommand)]
    pub sub: Option<NodeSub>,
    /// Genesis TOML. Needed the first time; later starts resume the chain in --data-dir (and,
    /// when given, check it is the same genesis).
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    /// Folder holding the chain database.
    #[arg(long, default_value = "./.verity/node")]
    pub data_dir: PathBuf,
    /// Address to serve the HTTP API on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8645")]
    pub http: SocketAddr,
    #[command(flatten)]
    pub tuning: Tuning,
}

/// Node knobs shared by `node` and `devnet`.
#[derive(Args, Debug, Clone)]
pub struct Tuning {
    /// Seal a block this often when transactions wait, in ms.
    #[arg(long, default_value_t = 500)]
    pub block_time_ms: u64,
    /// Most transactions per block (default: the genesis parameter).
    #[arg(long)]
    pub max_block_txs: Option<usize>,
    /// Validator mode (issue 7): listen for peers here (key in DATA_DIR/p2p.key, made if missing).
    #[arg(long, value_name = "ADDR")]
    pub p2p: Option<SocketAddr>,
    /// Peers file for --p2p: `[[peer]]` tables with `address` and `socket`.
    #[arg(long, value_name = "FILE", requires = "p2p")]
    pub peers: Option<PathBuf>,
    /// Validator mode: the validator's account key (a keystore v3 file, password from
    /// VERITY_PASSWORD or a prompt), which signs its double-sign reports. Without it evidence of a
    /// double sign is only logged.
    #[arg(long, value_name = "FILE", requires = "p2p")]
    pub validator_key: Option<PathBuf>,
}

/// Decrypt the keystore v3 file at `path`.
fn load_validator_key(path: &Path) -> anyhow::Result<verity_ledger::SecretKey> {
    let password = crate::cmd::keystore::read_password(false)?;
    let bytes = eth_keystore::decrypt_key(path, password)
        .map_err(|e| anyhow::anyhow!("cannot decrypt {}: {e}", path.display()))?;
    let bytes: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} does not hold a 32-byte key", path.display()))?;
    verity_ledger::SecretKey::from_secret_bytes(bytes)
        .with_context(|| format!("{} does not hold a valid secp256k1 key", path.display()))
}

/// Hidden maintenance subcommands of `verity node`.
#[derive(Subcommand, Debug)]
pub enum NodeSub {
    /// Replay every stored block from genesis and check the stored state root (node stopped).
    #[command(hide = true)]
    Verify {
        /// Folder holding the chain database.
        #[arg(long)]
        data_dir: PathBuf,
    },
}

/// Run `verity node …`.
pub fn run(ctx: &Ctx, args: NodeArgs) -> anyhow::Result<()> {
    if let Some(NodeSub::Verify { data_dir }) = args.sub {
        let report = verify(&data_dir)?;
        return ctx.emit(report.clone(), || {
            format!(
                "ok: replayed {} blocks from genesis; state root {} matches the store",
                report["height"], report["state_root"]
            )
        });
    }
    let genesis = match &args.genesis {
        Some(path) => Some(read_genesis(path)?),
        None => None,
    };
    serve(ctx, &args.data_dir, genesis, args.http, &args.tuning, None)
}

/// Read and validate a genesis TOML file.
pub fn read_genesis(path: &Path) -> anyhow::Result<Genesis> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read genesis file {}", path.display()))?;
    Genesis::from_toml_str(&text).with_context(|| format!("invalid genesis {}", path.display()))
}

/// Start a node, print one start line (with `extra` merged in for `--json`), serve until a signal.
pub fn serve(
    ctx: &Ctx,
    data_dir: &Path,
    genesis: Option<Genesis>,
    http: SocketAddr,
    tuning: &Tuning,
    extra: Option<(serde_json::Value, String)>,
) -> anyhow::Result<()> {
    serve_with(ctx, data_dir, genesis, http, tuning, extra, &mut |_| Ok(()))
}

/// [`serve`], calling `after_start(url)` once the start line is printed and the node serves
/// (the devnet starts its agents there); returns after the node stopped on a signal.
pub fn serve_with(
    ctx: &Ctx,
    data_dir: &Path,
    genesis: Option<Genesis>,
    http: SocketAddr,
    tuning: &Tuning,
    extra: Option<(serde_json::Value, String)>,
    after_start: &mut dyn FnMut(&str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let resumed = data_dir.join(verity_node::DB_FILE).exists();
    if genesis.is_none() && !resumed {
        bail!(
            "{} holds no chain yet: pass --genesis FILE the first time",
            data_dir.display()
        );
    }
    let mut config = NodeConfig::new(data_dir, genesis, http);
    config.block_time = Duration::from_millis(tuning.block_time_ms.max(1));
    config.max_block_txs = tuning.max_block_txs;
    let account_key = match &tuning.validator_key {
        Some(path) => Some(load_validator_key(path)?),
        None => None,
    };
    config.p2p = tuning.p2p.map(|listen| verity_node::P2pNodeConfig {
        listen,
        peers_file: tuning.peers.clone(),
        account_key,
    });
    let node = verity_node::start(config)
        .with_context(|| format!("cannot start the node in {}", data_dir.display()))?;
    let url = node.url();
    let status = verity_api::ApiClient::new(&url)
        .status()
        .context("the node started but does not answer /v1/status")?;
    let mut line = json!({
        "event": "started",
        "url": url,
        "data_dir": data_dir,
        "resumed": resumed,
        "chain_id": status.chain_id,
        "height": status.height,
        "state_root": status.state_root,
    });
    let mut human = format!(
        "verity node serving {url}\n  chain id {} · height {} · state root {}\n  data in {}{}",
        status.chain_id,
        status.height,
        status.state_root,
        data_dir.display(),
        if resumed { " (resumed)" } else { "" }
    );
    if let Some((v, text)) = extra {
        if let (Some(obj), serde_json::Value::Object(more)) = (line.as_object_mut(), v) {
            obj.extend(more);
        }
        human.push_str(&text);
    }
    ctx.emit(line, || format!("{human}\n  Ctrl-C stops the node."))?;
    use std::io::Write;
    let _ = std::io::stdout().flush();
    after_start(&url)?;
    node.wait_for_signal()
        .context("the node stopped with an error")?;
    if !ctx.json {
        eprintln!("verity node stopped cleanly");
    }
    Ok(())
}

/// Replay the chain in `data_dir` from its stored genesis and compare every header and receipt
/// and the final state root with what the store holds.
pub fn verify(data_dir: &Path) -> anyhow::Result<serde_json::Value> {
    let db = data_dir.join(verity_node::DB_FILE);
    if !db.exists() {
        bail!("no chain database at {}", db.display());
    }
    let store = Store::open(&db).with_context(|| format!("cannot open {}", db.display()))?;
    let genesis = store
        .stored_genesis()?
        .with_context(|| format!("{} holds no genesis", db.display()))?;
    let head = store
        .head()?
        .with_context(|| format!("{} holds no head", db.display()))?;
    let mut state = State::from_genesis(&genesis)?;
    let mut txs = 0u64;
    for h in 1..=head.height {
        let block = store
            .block(h)?
            .with_context(|| format!("block {h} is missing from the store"))?;
        let input = BlockInput {
            height: block.header.height,
            timestamp: block.header.timestamp,
            parent_hash: block.header.parent_hash,
            txs: block.txs.clone(),
        };
        let outcome = apply_block(&mut state, &input)
            .with_context(|| format!("replaying block {h} failed"))?;
        if outcome.header != block.header {
            bail!(
                "block {h}: replayed header differs from the stored one (state root {} vs {})",
                outcome.header.state_root,
                block.header.state_root
            );
        }
        for r in &outcome.receipts {
            let stored = store
                .receipt(&r.tx_hash)?
                .with_context(|| format!("receipt of {} (block {h}) is missing", r.tx_hash))?;
            if &stored != r {
                bail!("receipt of {} differs from a fresh replay", r.tx_hash);
            }
        }
        txs += block.txs.len() as u64;
    }
    let root = state.root();
    if root != head.state_root {
        bail!(
            "replayed state root {root} differs from the stored head's {}",
            head.state_root
        );
    }
    let loaded = store.load_state()?.root();
    if loaded != root {
        bail!("the stored state's root {loaded} differs from the replayed root {root}");
    }
    state.check_invariants()?;
    Ok(json!({"ok": true, "height": head.height, "txs": txs, "state_root": root}))
}
