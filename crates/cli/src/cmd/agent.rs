//! `verity agent send|recv|peers` (issue 7): direct, encrypted messages between agents addressed
//! by ledger address, through the node's p2p network (`POST /v1/agent/send`,
//! `GET /v1/agent/recv`, `GET /v1/agent/peers`). The sender is the node's registered identity.

use anyhow::Context;
use clap::Subcommand;
use verity_api::ApiClient;
use verity_primitives::Address;

use super::Ctx;

/// Agent messaging commands.
#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Send a message to the agent registered as ADDRESS.
    Send {
        /// Recipient ledger address.
        #[arg(long)]
        to: Address,
        /// Message text.
        #[arg(long)]
        message: String,
    },
    /// Take the messages waiting for this node's agent (oldest first).
    Recv {
        /// Most messages to take.
        #[arg(long, default_value_t = 100)]
        max: usize,
    },
    /// List the registered peers this node knows.
    Peers,
}

/// Run `verity agent …`.
pub fn run(ctx: &Ctx, cmd: AgentCmd) -> anyhow::Result<()> {
    let client = ApiClient::new(&ctx.node);
    match cmd {
        AgentCmd::Send { to, message } => {
            let r = client
                .agent_send(to, &message)
                .context("sending the agent message")?;
            ctx.emit(serde_json::to_value(&r)?, || {
                format!("sent #{} from {} to {}", r.seq, r.from, r.to)
            })
        }
        AgentCmd::Recv { max } => {
            let r = client.agent_recv(max).context("reading the inbox")?;
            ctx.emit(serde_json::to_value(&r)?, || {
                if r.messages.is_empty() {
                    return format!("no messages for {}", r.address);
                }
                r.messages
                    .iter()
                    .map(|m| format!("{} #{}: {}", m.from, m.seq, m.body))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        AgentCmd::Peers => {
            let r = client.agent_peers().context("listing peers")?;
            ctx.emit(serde_json::to_value(&r)?, || {
                let mut out = format!(
                    "this node: {} (p2p key {})",
                    r.address
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "not registered".into()),
                    r.p2p_key
                );
                for p in &r.peers {
                    out.push_str(&format!(
                        "\n  {} {} {}{}",
                        p.address,
                        p.socket.as_deref().unwrap_or("(no socket)"),
                        p.p2p_key,
                        if p.is_self { " (self)" } else { "" }
                    ));
                }
                out
            })
        }
    }
}
