//! `verity status`: the node's chain id, height, last block hash and state root.

use super::Ctx;
use super::chain;

/// Run `verity status`.
pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let s = chain::client(ctx).status()?;
    let value = serde_json::to_value(&s)?;
    ctx.emit(value, || {
        format!(
            "node        {}\nchain id    {}\nheight      {}\nblock hash  {}\nstate root  {}\ntimestamp   {} ms\nmempool     {} txs",
            ctx.node, s.chain_id, s.height, s.block_hash, s.state_root, s.timestamp, s.mempool_size
        )
    })
}
