//! `verity testnet --validators N [--base-port P] [--data-dir DIR]` (issue 7): N validators as
//! child `verity node` processes on 127.0.0.1, each with its own data dir, all on one shared
//! genesis, talking over the encrypted p2p network and agreeing through the BFT engine.
//!
//! Layout of DIR (default `.verity/testnet`):
//! - `genesis.toml` — the dev genesis with dev accounts `0..N` as bonded validators, each with its
//!   p2p key registered at genesis, and a `[consensus]` section;
//! - `peers.toml` — every validator's address and p2p socket;
//! - `node-i/` — validator i's data dir: `p2p.key` (its ed25519 p2p/consensus key, derived from
//!   the name `verity-testnet-p2p-i`: a local testnet's keys are public, like the dev accounts),
//!   `chain.redb`, `node.log` and `command` (the node's command line, one argument per line, so a
//!   stopped node can be started again by hand or by a test).
//!
//! Ports: validator i serves HTTP on `P + 2i` and p2p on `P + 2i + 1`.
//! Started again on the same DIR it resumes: same keys, same genesis (a DIR made for another N is
//! refused). Ctrl-C / SIGTERM stops every node (SIGTERM, then SIGKILL after a grace period). A node
//! that dies is reported and the others keep running — a BFT network tolerates it.

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use serde_json::json;
use verity_ledger::Address;
use verity_ledger::genesis::{DEV_VALIDATOR_STAKE, Genesis, GenesisValidator, dev_accounts};
use verity_ledger::validators::ConsensusParams;
use verity_p2p::{PeerAddr, PeersFile, identity};

use super::Ctx;

/// Most validators a local testnet starts.
pub const MAX_VALIDATORS: u32 = 32;

/// Arguments of `verity testnet`.
#[derive(Args, Debug)]
pub struct TestnetArgs {
    /// How many validators (1..=32).
    #[arg(long)]
    pub validators: u32,
    /// First port: validator i serves HTTP on P+2i and p2p on P+2i+1.
    #[arg(long, default_value_t = 26_650)]
    pub base_port: u16,
    /// Where the testnet keeps its genesis and the validators' data dirs.
    #[arg(long, default_value = ".verity/testnet")]
    pub data_dir: PathBuf,
    /// Blocks per epoch (validator-set changes take effect at epoch boundaries).
    #[arg(long, default_value_t = 100)]
    pub epoch_length: u64,
    /// Funded dev accounts (at most 10,000; default and minimum: one per validator). Validator i
    /// is dev account i.
    #[arg(long, default_value_t = 0)]
    pub accounts: u32,
}

/// Most funded dev accounts a testnet genesis holds.
pub const MAX_ACCOUNTS: u32 = 10_000;

/// One validator of the testnet.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index 0..N.
    pub index: u32,
    /// Its account address.
    pub address: Address,
    /// Its p2p public key.
    pub p2p_key: [u8; 32],
    /// HTTP API address.
    pub http: SocketAddr,
    /// p2p listen address.
    pub p2p: SocketAddr,
    /// Its data dir.
    pub dir: PathBuf,
}

/// The seed of validator `i`'s p2p key (public: a local testnet's keys are not secrets).
fn p2p_seed(i: u32) -> [u8; 32] {
    verity_primitives::keccak256(format!("verity-testnet-p2p-{i}").as_bytes()).0
}

/// The testnet's members and genesis for `args` (pure: no files touched).
pub fn plan(args: &TestnetArgs) -> anyhow::Result<(Vec<Member>, Genesis)> {
    let n = args.validators;
    if n == 0 || n > MAX_VALIDATORS {
        bail!("--validators must be between 1 and {MAX_VALIDATORS} (got {n})");
    }
    if args.epoch_length < 2 {
        bail!("--epoch-length must be at least 2 blocks");
    }
    let last = u32::from(args.base_port) + 2 * n - 1;
    if args.base_port < 1024 || last > u32::from(u16::MAX) {
        bail!(
            "--base-port {} leaves no room for {n} validators (ports {}..={last} must be 1024..=65535)",
            args.base_port,
            args.base_port
        );
    }
    if args.accounts > MAX_ACCOUNTS {
        bail!(
            "--accounts must be at most {MAX_ACCOUNTS} (got {})",
            args.accounts
        );
    }
    let accounts = dev_accounts(args.accounts.max(n));
    let addrs: Vec<Address> = accounts.iter().map(|a| a.1).collect();
    let mut genesis = Genesis::dev(&addrs);
    let mut members = Vec::new();
    genesis.validators = Vec::new();
    for (i, address) in addrs.iter().take(n as usize).enumerate() {
        let i = i as u32;
        let port = args.base_port + (2 * i) as u16;
        let p2p_key = identity::public_of(&identity::from_seed_bytes(p2p_seed(i)));
        genesis.validators.push(GenesisValidator {
            address: *address,
            stake: DEV_VALIDATOR_STAKE,
            p2p_key: Some(p2p_key),
        });
        members.push(Member {
            index: i,
            address: *address,
            p2p_key,
            http: SocketAddr::from(([127, 0, 0, 1], port)),
            p2p: SocketAddr::from(([127, 0, 0, 1], port + 1)),
            dir: args.data_dir.join(format!("node-{i}")),
        });
    }
    genesis.consensus = Some(ConsensusParams {
        epoch_length: args.epoch_length,
        max_validators: 100,
        double_sign_slash_bps: 500,
    });
    Ok((members, genesis))
}

/// Write (or check) DIR's genesis, peers file and key files; returns the genesis path.
fn prepare(args: &TestnetArgs, members: &[Member], genesis: &Genesis) -> anyhow::Result<PathBuf> {
    fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create {}", args.data_dir.display()))?;
    let gpath = args.data_dir.join("genesis.toml");
    let text = genesis.to_toml_string();
    if gpath.exists() {
        let old = fs::read_to_string(&gpath)
            .with_context(|| format!("cannot read {}", gpath.display()))?;
        if old != text {
            bail!(
                "{} holds a different testnet (another --validators or --epoch-length); \
                 use another --data-dir or delete it",
                args.data_dir.display()
            );
        }
    } else {
        fs::write(&gpath, &text).with_context(|| format!("cannot write {}", gpath.display()))?;
    }
    for m in members {
        fs::create_dir_all(&m.dir).with_context(|| format!("cannot create {}", m.dir.display()))?;
        let key_file = identity::key_path(&m.dir);
        let want = identity::from_seed_bytes(p2p_seed(m.index));
        if key_file.exists() {
            let have = identity::load(&key_file)?;
            if identity::seed_bytes(&have) != identity::seed_bytes(&want) {
                bail!(
                    "{} is not validator {}'s testnet key; delete {}",
                    key_file.display(),
                    m.index,
                    args.data_dir.display()
                );
            }
        } else {
            identity::save(&key_file, &want)?;
        }
    }
    let peers = PeersFile {
        peers: members
            .iter()
            .map(|m| PeerAddr {
                address: m.address,
                socket: m.p2p,
            })
            .collect(),
    };
    fs::write(args.data_dir.join("peers.toml"), peers.to_toml())
        .context("cannot write peers.toml")?;
    Ok(gpath)
}

/// The command line that starts member `m` (after the executable).
fn node_args(args: &TestnetArgs, gpath: &Path, m: &Member) -> Vec<String> {
    vec![
        "node".into(),
        "--genesis".into(),
        gpath.display().to_string(),
        "--data-dir".into(),
        m.dir.display().to_string(),
        "--http".into(),
        m.http.to_string(),
        "--p2p".into(),
        m.p2p.to_string(),
        "--peers".into(),
        args.data_dir.join("peers.toml").display().to_string(),
    ]
}

fn spawn(exe: &Path, argv: &[String], m: &Member) -> anyhow::Result<Child> {
    let log_path = m.dir.join("node.log");
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .with_context(|| format!("cannot open {}", log_path.display()))?;
    let err = log.try_clone().context("cannot share the log file")?;
    Command::new(exe)
        .args(argv)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .with_context(|| format!("cannot start validator {}", m.index))
}

fn port_free(addr: SocketAddr) -> bool {
    TcpListener::bind(addr).is_ok()
}

fn answers(http: SocketAddr) -> bool {
    verity_api::ApiClient::new(&format!("http://{http}"))
        .status()
        .is_ok()
}

/// Stop every child: SIGTERM, then SIGKILL after `grace`.
fn stop_all(children: &mut [(Member, Child)], grace: Duration) {
    for (_, c) in children.iter_mut() {
        if matches!(c.try_wait(), Ok(None)) {
            terminate(c);
        }
    }
    let deadline = Instant::now() + grace;
    for (_, c) in children.iter_mut() {
        while matches!(c.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(c.try_wait(), Ok(None)) {
            let _ = c.kill();
        }
        let _ = c.wait();
    }
}

#[cfg(unix)]
fn terminate(c: &Child) {
    // std has no SIGTERM; `kill -TERM` is always there on unix.
    let _ = Command::new("kill")
        .args(["-TERM", &c.id().to_string()])
        .status();
}

#[cfg(not(unix))]
fn terminate(c: &mut Child) {
    let _ = c.kill();
}

/// Run `verity testnet`.
pub fn run(ctx: &Ctx, args: TestnetArgs) -> anyhow::Result<()> {
    let (members, genesis) = plan(&args)?;
    for m in &members {
        for addr in [m.http, m.p2p] {
            if !port_free(addr) {
                bail!(
                    "port {addr} is taken (validator {}); pick another --base-port",
                    m.index
                );
            }
        }
    }
    let gpath = prepare(&args, &members, &genesis)?;
    let exe = std::env::current_exe().context("cannot find the verity executable")?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).context("cannot handle signals")?;
    }
    let mut children: Vec<(Member, Child)> = Vec::new();
    let started = (|| -> anyhow::Result<()> {
        for m in &members {
            let argv = node_args(&args, &gpath, m);
            let mut line = exe.display().to_string();
            for a in &argv {
                line.push('\n');
                line.push_str(a);
            }
            fs::write(m.dir.join("command"), line + "\n")
                .with_context(|| format!("cannot write {}", m.dir.join("command").display()))?;
            let child = spawn(&exe, &argv, m)?;
            children.push((m.clone(), child));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        for (m, c) in children.iter_mut() {
            while !answers(m.http) {
                if let Ok(Some(status)) = c.try_wait() {
                    bail!(
                        "validator {} exited ({status}) before serving; see {}",
                        m.index,
                        m.dir.join("node.log").display()
                    );
                }
                if Instant::now() > deadline || stop.load(Ordering::Relaxed) {
                    bail!(
                        "validator {} did not answer on {} within 60 s",
                        m.index,
                        m.http
                    );
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    })();
    if let Err(e) = started {
        stop_all(&mut children, Duration::from_secs(5));
        return Err(e);
    }
    let nodes: Vec<_> = children
        .iter()
        .map(|(m, c)| {
            json!({
                "index": m.index,
                "address": m.address.to_string(),
                "p2p_key": format!("0x{}", hex::encode(m.p2p_key)),
                "http": format!("http://{}", m.http),
                "p2p": m.p2p.to_string(),
                "pid": c.id(),
                "data_dir": m.dir,
            })
        })
        .collect();
    let summary = json!({
        "event": "started",
        "validators": members.len(),
        "data_dir": args.data_dir,
        "genesis": gpath,
        "nodes": nodes,
    });
    if ctx.json {
        println!("{summary}");
    } else {
        println!(
            "testnet: {} validators, genesis {}",
            members.len(),
            gpath.display()
        );
        for (m, c) in &children {
            println!(
                "  validator {}  {}  api http://{}  p2p {}  pid {}",
                m.index,
                m.address,
                m.http,
                m.p2p,
                c.id()
            );
        }
        println!("Ctrl-C stops them all.");
    }
    let mut reported = vec![false; children.len()];
    while !stop.load(Ordering::Relaxed) {
        for (i, (m, c)) in children.iter_mut().enumerate() {
            if reported[i] {
                continue;
            }
            if let Ok(Some(status)) = c.try_wait() {
                reported[i] = true;
                if ctx.json {
                    // The reader may be gone (a script that only wanted the start line).
                    use std::io::Write as _;
                    let line =
                        json!({"event": "exited", "index": m.index, "status": status.to_string()});
                    let _ = writeln!(std::io::stdout(), "{line}");
                } else {
                    eprintln!(
                        "validator {} exited ({status}); the others keep running. Restart it with the \
                         command in {}",
                        m.index,
                        m.dir.join("command").display()
                    );
                }
            }
        }
        if reported.iter().all(|r| *r) {
            bail!("every validator has exited; see the node.log files");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    stop_all(&mut children, Duration::from_secs(10));
    {
        use std::io::Write as _;
        let line = if ctx.json {
            json!({"event": "stopped"}).to_string()
        } else {
            "testnet stopped".to_string()
        };
        let _ = writeln!(std::io::stdout(), "{line}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(n: u32, port: u16) -> TestnetArgs {
        TestnetArgs {
            validators: n,
            base_port: port,
            data_dir: PathBuf::from("/nonexistent"),
            epoch_length: 100,
            accounts: 0,
        }
    }

    #[test]
    fn plan_gives_every_validator_a_key_ports_and_stake() {
        let (members, g) = plan(&args(4, 30_000)).unwrap();
        assert_eq!(members.len(), 4);
        assert_eq!(g.validators.len(), 4);
        let keys: std::collections::BTreeSet<_> = members.iter().map(|m| m.p2p_key).collect();
        assert_eq!(keys.len(), 4, "distinct p2p keys");
        assert_eq!(members[3].http.port(), 30_006);
        assert_eq!(members[3].p2p.port(), 30_007);
        assert!(g.validators.iter().all(|v| v.p2p_key.is_some()));
        g.validate().unwrap();
    }

    #[test]
    fn plan_refuses_bad_sizes_and_ports() {
        assert!(plan(&args(0, 30_000)).is_err());
        assert!(plan(&args(MAX_VALIDATORS + 1, 30_000)).is_err());
        assert!(plan(&args(4, 65_530)).is_err());
        assert!(plan(&args(4, 80)).is_err());
    }
}
