//! Block execution ([`apply_block`]) and admission ([`check_admission`]).
//!
//! **Rules.** A block must have height = state height + 1, a timestamp not before the previous
//! block's, at most `params.max_block_txs` transactions, and every transaction must carry this
//! chain's id and exactly the sender's next nonce (in block order). The sequencer includes only
//! admitted transactions in nonce order, so a block breaking these rules is a sequencer bug:
//! `apply_block` returns `Err(LedgerError::InvalidBlock)` and leaves the state unchanged.
//! Signatures are *not* re-checked here (admission did; block producers are trusted to include
//! only admitted transactions, and replay from the store must not pay for them twice).
//!
//! Each transaction: the nonce is consumed first (in the block overlay), then the payload runs
//! in a transaction overlay that is merged only on success. A failed payload yields a receipt
//! with `TxStatus::Failed` and no events; nothing but the nonce changes.

use crate::block::{BlockHeader, BlockInput, merkle_root};
use crate::error::{AdmissionError, LedgerError};
use crate::receipt::{Receipt, TxStatus};
use crate::state::{Exec, State, Store, keys};
use crate::tx::{MAX_TX_BYTES, Payload, SignedTransaction, signing_hash_with};
use crate::{identity, staking, tokens};
use verity_primitives::{Address, Hash};

/// What executing a block produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The sealed header (state root after the block).
    pub header: BlockHeader,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Every state change, sorted by key (`None` = deleted): what the store persists.
    pub write_set: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// The next nonce of `a`.
pub(crate) fn nonce(s: &impl Store, a: &Address) -> Result<u64, LedgerError> {
    match s.get(&keys::nonce_key(a)) {
        Some(v) => keys::decode_u64(v, "nonce"),
        None => Ok(0),
    }
}

/// Admission checks for a mempool: chain id, size, signature (low-s, signer = sender) and
/// nonce ≥ the sender's next nonce. Ordering/gaps among future nonces are the mempool's job.
pub fn check_admission(state: &State, tx: &SignedTransaction) -> Result<(), AdmissionError> {
    if tx.tx.chain_id != state.chain_id() {
        return Err(AdmissionError::WrongChainId {
            expected: state.chain_id(),
            got: tx.tx.chain_id,
        });
    }
    let len = tx.encoded_len();
    // market/dispute (issue 4): a ruling carries one op's input tensors.
    let max = if matches!(tx.tx.payload, Payload::Rule { .. }) {
        crate::market::dispute::MAX_RULING_TX_BYTES
    } else {
        MAX_TX_BYTES
    };
    if len > max {
        return Err(AdmissionError::Oversized { len, max });
    }
    tx.verify_signature()?;
    let expected = state.nonce(tx.tx.sender);
    if tx.tx.nonce < expected {
        return Err(AdmissionError::StaleNonce {
            expected,
            got: tx.tx.nonce,
        });
    }
    Ok(())
}

/// Run one payload inside the transaction overlay.
fn dispatch(ex: &mut Exec<'_>, sender: &Address, payload: &Payload) -> Result<(), LedgerError> {
    match payload {
        Payload::Transfer { to, token, amount } => {
            tokens::transfer(ex, sender, to, *token, *amount)
        }
        Payload::Mint { token, to, amount } => tokens::mint(ex, sender, *token, to, *amount),
        Payload::Burn { token, amount } => tokens::burn(ex, sender, *token, *amount),
        Payload::RegisterActor { kind, metadata } => {
            identity::register(ex, sender, *kind, metadata)
        }
        Payload::UpdateActor { metadata } => identity::update(ex, sender, metadata),
        Payload::Bond { amount } => staking::bond(ex, sender, *amount),
        Payload::Unbond { amount } => staking::unbond(ex, sender, *amount),
        Payload::Withdraw => staking::withdraw(ex, sender),
        // --- amm + router (issue 5) ---
        Payload::CreatePool {
            token_a,
            token_b,
            fee_bps,
        } => crate::amm::create_pool(ex, sender, *token_a, *token_b, *fee_bps).map(|_| ()),
        Payload::AddLiquidity {
            pool,
            amount_a_desired,
            amount_b_desired,
            amount_a_min,
            amount_b_min,
            deadline,
        } => crate::amm::add_liquidity(
            ex,
            sender,
            *pool,
            *amount_a_desired,
            *amount_b_desired,
            *amount_a_min,
            *amount_b_min,
            *deadline,
        ),
        Payload::RemoveLiquidity {
            pool,
            liquidity,
            amount_a_min,
            amount_b_min,
            deadline,
        } => crate::amm::remove_liquidity(
            ex,
            sender,
            *pool,
            *liquidity,
            *amount_a_min,
            *amount_b_min,
            *deadline,
        ),
        Payload::SwapExactIn {
            path,
            amount_in,
            min_out,
            deadline,
        } => {
            crate::amm::swap_exact_in(ex, sender, path, *amount_in, *min_out, *deadline).map(|_| ())
        }
        Payload::SwapExactOut {
            path,
            amount_out,
            max_in,
            deadline,
        } => crate::amm::swap_exact_out(ex, sender, path, *amount_out, *max_in, *deadline)
            .map(|_| ()),
        Payload::SwapRouted {
            from,
            to,
            amount_in,
            min_out,
            deadline,
        } => crate::router::swap_routed(ex, sender, *from, *to, *amount_in, *min_out, *deadline),
        // --- oracle, treasury, dollar (issue 5) ---
        Payload::ReportPrice { feed, value } => crate::oracle::report(ex, sender, feed, *value),
        Payload::AccrueNav => crate::treasury::accrue_nav(ex, sender),
        Payload::Subscribe { asset, amount } => {
            crate::treasury::subscribe(ex, sender, *asset, *amount)
        }
        Payload::Redeem { shares, asset } => crate::treasury::redeem(ex, sender, *shares, *asset),
        Payload::MintAid { collateral, amount } => {
            crate::dollar::mint(ex, sender, *collateral, *amount)
        }
        Payload::RedeemAid { amount, collateral } => {
            crate::dollar::redeem(ex, sender, *amount, *collateral)
        }
        Payload::SnapshotReserves => crate::dollar::snapshot_reserves(ex, sender),
        // --- vault, vesting, governance, burn, savings (issue 5) ---
        Payload::VaultDeposit { assets, min_shares } => {
            crate::vault::deposit(ex, sender, *assets, *min_shares)
        }
        Payload::VaultMint { shares, max_assets } => {
            crate::vault::mint(ex, sender, *shares, *max_assets)
        }
        Payload::VaultRequestRedeem { shares } => crate::vault::request_redeem(ex, sender, *shares),
        Payload::VaultRequestWithdraw { assets } => {
            crate::vault::request_withdraw(ex, sender, *assets)
        }
        Payload::VaultClaim => crate::vault::claim(ex, sender),
        Payload::ClaimVested => crate::vesting::claim(ex, sender),
        Payload::CreateLock {
            amount,
            unlock_time,
        } => {
            let token = crate::governance::config(ex)?.token;
            crate::governance::ve::create_lock(ex, sender, token, *amount, *unlock_time)
        }
        Payload::IncreaseAmount { amount } => {
            let token = crate::governance::config(ex)?.token;
            crate::governance::ve::increase_amount(ex, sender, token, *amount)
        }
        Payload::IncreaseUnlockTime { unlock_time } => {
            crate::governance::ve::increase_unlock_time(ex, sender, *unlock_time)
        }
        Payload::WithdrawLock => {
            let token = crate::governance::config(ex)?.token;
            crate::governance::ve::withdraw(ex, sender, token)
        }
        Payload::Propose { param, value } => crate::governance::propose(ex, sender, param, value),
        Payload::Vote { proposal, support } => {
            crate::governance::vote(ex, sender, *proposal, *support)
        }
        Payload::ExecuteProposal { proposal } => crate::governance::execute(ex, *proposal),
        Payload::ExecuteBuyback { token } => {
            crate::burn::buyback::execute_buyback(ex, sender, *token)
        }
        Payload::SetSavingsPolicy {
            target_token,
            share_bps,
            max_slippage_bps,
            min_batch,
        } => crate::savings::set_policy(
            ex,
            sender,
            *target_token,
            *share_bps,
            *max_slippage_bps,
            *min_batch,
        ),
        // --- end vault, vesting, governance, burn, savings ---
        // --- market/dispute (issue 4) ---
        Payload::PostJob(terms) => crate::market::post_job(ex, sender, terms),
        Payload::Bid { job, price } => crate::market::bid(ex, sender, *job, *price),
        Payload::CloseBidding { job } => crate::market::close_bidding(ex, *job),
        Payload::Commit { job, result } => crate::market::commit(ex, sender, *job, result),
        Payload::Settle { job } => crate::market::settle(ex, *job),
        Payload::Expire { job } => crate::market::expire(ex, *job),
        Payload::Cancel { job } => crate::market::cancel(ex, sender, *job),
        Payload::Challenge {
            job,
            trace_root,
            bond,
        } => crate::market::dispute::challenge(ex, sender, *job, *trace_root, *bond),
        Payload::Bisect {
            dispute,
            left,
            right,
        } => crate::market::dispute::bisect(ex, sender, *dispute, *left, *right),
        Payload::Rule { dispute, evidence } => {
            crate::market::dispute::rule(ex, sender, *dispute, evidence)
        }
        Payload::ClaimTimeout { dispute } => crate::market::dispute::claim_timeout(ex, *dispute),
        // assets, green (issue 6)
        Payload::Assets(t) => t.apply(ex, sender),
        Payload::Green(t) => t.apply(ex, sender),
        Payload::Attest { job } => crate::market::verify::attest(ex, sender, *job),
        // --- end market/dispute ---
        // --- capacity, position (issue 6) ---
        Payload::Capacity(c) => crate::capacity::tx::dispatch(ex, sender, c),
        Payload::Position(p) => crate::position::dispatch(ex, sender, p),
        // --- validators (issue 7) ---
        Payload::RegisterP2pKey { key, proof } => {
            crate::validators::register(ex, sender, key, proof)
        }
        Payload::ReportDoubleSign { evidence } => {
            crate::validators::evidence::report(ex, sender, evidence)
        }
    }
}

/// A hook run after the block's transactions, before the write set is sealed (end-of-block
/// module work; tests use it to slash).
pub(crate) type EndBlockHook<'h> = &'h mut dyn FnMut(&mut Exec<'_>) -> Result<(), LedgerError>;

/// Execute `block` on `state`: on success the state advances to `block.height` and the
/// outcome holds the header, receipts and write set; on `Err` the state is unchanged.
/// Deterministic: same state + same block ⇒ same outcome.
pub fn apply_block(state: &mut State, block: &BlockInput) -> Result<BlockOutcome, LedgerError> {
    apply_block_inner(state, block, None, None)
}

/// [`apply_block`] for a block of transactions this node admitted itself: `tx_hashes[i]` is
/// the transaction hash of `block.txs[i]` (its EIP-712 signing digest, e.g.
/// `VerifiedTx::hash` from admission, which had to compute it to recover the signer), so
/// execution does not hash each transaction a second time. The outcome is identical to
/// [`apply_block`]'s when the hashes are right.
///
/// Only the admitting node may use this: a block received from a peer, or replayed from the
/// store, goes through [`apply_block`], which hashes every transaction itself. A length
/// mismatch is an `InvalidBlock` error; debug builds also recompute every hash and reject a
/// wrong one (release builds trust the caller: a wrong hash would corrupt the receipts and the
/// transaction root, never the state).
pub fn apply_block_prehashed(
    state: &mut State,
    block: &BlockInput,
    tx_hashes: &[Hash],
) -> Result<BlockOutcome, LedgerError> {
    apply_block_inner(state, block, Some(tx_hashes), None)
}

#[cfg(test)]
pub(crate) fn apply_block_with(
    state: &mut State,
    block: &BlockInput,
    end_block: Option<EndBlockHook<'_>>,
) -> Result<BlockOutcome, LedgerError> {
    apply_block_inner(state, block, None, end_block)
}

fn apply_block_inner(
    state: &mut State,
    block: &BlockInput,
    prehashed: Option<&[Hash]>,
    end_block: Option<EndBlockHook<'_>>,
) -> Result<BlockOutcome, LedgerError> {
    let bad = |m: String| Err(LedgerError::InvalidBlock(m));
    if let Some(h) = prehashed
        && h.len() != block.txs.len()
    {
        return bad(format!(
            "{} precomputed transaction hashes for {} transactions",
            h.len(),
            block.txs.len()
        ));
    }
    if block.height != state.height() + 1 {
        return bad(format!(
            "height {} does not follow the state's height {}",
            block.height,
            state.height()
        ));
    }
    if block.timestamp < state.time() {
        return bad(format!(
            "timestamp {} is before the previous block's {}",
            block.timestamp,
            state.time()
        ));
    }
    let max = state.params().max_block_txs as usize;
    if block.txs.len() > max {
        return bad(format!(
            "{} transactions exceed the limit of {max}",
            block.txs.len()
        ));
    }
    let chain_id = state.chain_id();
    let domain = state.domain_separator();
    let mut receipts = Vec::with_capacity(block.txs.len());
    let mut tx_hashes = Vec::with_capacity(block.txs.len());
    let write_set = {
        let mut ex = Exec::new(state, block.height, block.timestamp);
        ex.parent_hash = block.parent_hash; // market: verifier selection seed
        ex.reserve_writes(3 * block.txs.len());
        for (i, stx) in block.txs.iter().enumerate() {
            let tx = &stx.tx;
            if tx.chain_id != chain_id {
                return bad(format!(
                    "tx {i} has chain id {} (this chain is {chain_id})",
                    tx.chain_id
                ));
            }
            let expected = nonce(&ex, &tx.sender)?;
            if tx.nonce != expected {
                return bad(format!(
                    "tx {i} from {} has nonce {} but the next nonce is {expected}",
                    tx.sender, tx.nonce
                ));
            }
            let next = expected
                .checked_add(1)
                .ok_or_else(|| LedgerError::InvalidBlock(format!("tx {i}: nonce exhausted")))?;
            ex.put_block(
                &keys::nonce_key(&tx.sender),
                Some(next.to_be_bytes().to_vec()),
            );
            let hash = match prehashed {
                None => signing_hash_with(&domain, &tx.struct_hash()),
                Some(h) => {
                    if cfg!(debug_assertions)
                        && h[i] != signing_hash_with(&domain, &tx.struct_hash())
                    {
                        return bad(format!("precomputed hash of tx {i} is not its hash"));
                    }
                    h[i]
                }
            };
            let (status, events) = match dispatch(&mut ex, &tx.sender, &tx.payload) {
                Ok(()) => (TxStatus::Success, ex.commit_tx()),
                Err(e) => {
                    ex.discard_tx();
                    (
                        TxStatus::Failed {
                            error: e.to_string(),
                        },
                        Vec::new(),
                    )
                }
            };
            tx_hashes.push(hash);
            receipts.push(Receipt {
                tx_hash: hash,
                height: block.height,
                index: u32::try_from(i).expect("block size is bounded by max_block_txs (u32)"),
                sender: tx.sender,
                nonce: tx.nonce,
                status,
                events,
            });
        }
        if let Some(hook) = end_block {
            hook(&mut ex)?;
            ex.commit_tx();
        }
        // validators (issue 7): at an epoch's last block, fix the next epoch's set.
        crate::validators::end_block(&mut ex)?;
        ex.commit_tx();
        ex.put(keys::META_HEIGHT, Some(block.height.to_be_bytes().to_vec()));
        ex.put(
            keys::META_TIME,
            Some(block.timestamp.0.to_be_bytes().to_vec()),
        );
        ex.into_bucketed_write_set()
    };
    let mut write_set = write_set;
    let state_root = state.commit_block_writes(&mut write_set.entries, &write_set.buckets)?;
    let write_set = write_set.entries;
    let receipt_leaves: Vec<Hash> = receipts.iter().map(Receipt::leaf_hash).collect();
    let header = BlockHeader {
        height: block.height,
        timestamp: block.timestamp,
        parent_hash: block.parent_hash,
        tx_root: merkle_root(&tx_hashes),
        receipts_root: merkle_root(&receipt_leaves),
        state_root,
    };
    Ok(BlockOutcome {
        header,
        receipts,
        write_set,
    })
}

#[cfg(test)]
#[path = "execute_tests.rs"]
mod tests;
