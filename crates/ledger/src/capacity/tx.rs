//! The capacity module's transactions ([`CapacityTx`], carried by `Payload::Capacity`) with
//! their EIP-712 types, their dispatch, and the module's events ([`CapacityEvent`]).
//!
//! Each variant is its own EIP-712 primary type named like the variant, fields
//! `address sender, uint64 nonce, …` as every payload (see [`crate::tx`]). JSON:
//! `{"Capacity": {"MintCapacity": {"device_class": "H100", "slot_start": 1796…, "amount": "5"}}}`.

use super::pool::{self, CreateArgs};
use crate::error::LedgerError;
use crate::state::Exec;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};
use verity_primitives::{Address, Hash, Timestamp, TokenId, amount_str};

/// A capacity transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapacityTx {
    /// Mint `amount` tokens of (device class, slot) backed by the sender's free stake.
    MintCapacity {
        /// Device class, 1-32 ASCII letters or digits (as in a job's terms).
        device_class: String,
        /// Slot start, ms since the epoch, a whole UTC hour in the future.
        slot_start: u64,
        /// Base units (1 GPU-hour = 1 000 000).
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// Burn `amount` tokens to assign the sender's open job `job` during the slot.
    RedeemCapacity {
        /// Market job id (the sender is its buyer).
        job: u64,
        /// The slot's token.
        token: TokenId,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// After the slot: burn leftover tokens, slash unserved redemptions, release stake.
    ExpireSlot {
        /// The slot's token.
        token: TokenId,
    },
    /// Open the slot's (token, AID) pool with a first deposit.
    CreateCapacityPool {
        /// The slot's token.
        token: TokenId,
        /// AID base units one whole GPU-hour is worth at expiry.
        #[serde(with = "amount_str")]
        par_price: u128,
        /// Pendle's `scalarRoot`, WAD.
        #[serde(with = "amount_str")]
        scalar_root: u128,
        /// Pendle's `initialAnchor`, WAD (≥ 10¹⁸).
        #[serde(with = "amount_str")]
        initial_anchor: u128,
        /// Fee on the AID side, bps.
        fee_bps: u32,
        /// Tokens deposited.
        #[serde(with = "amount_str")]
        capacity: u128,
        /// AID deposited.
        #[serde(with = "amount_str")]
        quote: u128,
    },
    /// Deposit up to the given amounts in the pool's proportion.
    AddCapacityLiquidity {
        /// The slot's token.
        token: TokenId,
        /// Most tokens.
        #[serde(with = "amount_str")]
        capacity_max: u128,
        /// Most AID.
        #[serde(with = "amount_str")]
        quote_max: u128,
        /// Least LP shares.
        #[serde(with = "amount_str")]
        min_lp: u128,
        /// Latest block time, ms.
        deadline: u64,
    },
    /// Burn LP shares for the pro-rata reserves.
    RemoveCapacityLiquidity {
        /// The slot's token.
        token: TokenId,
        /// LP shares.
        #[serde(with = "amount_str")]
        lp: u128,
        /// Least tokens back.
        #[serde(with = "amount_str")]
        min_capacity: u128,
        /// Least AID back.
        #[serde(with = "amount_str")]
        min_quote: u128,
        /// Latest block time, ms.
        deadline: u64,
    },
    /// Buy or sell exactly `capacity` tokens against AID.
    SwapCapacity {
        /// The slot's token.
        token: TokenId,
        /// Buy tokens (true) or sell them.
        buy: bool,
        /// Tokens, base units.
        #[serde(with = "amount_str")]
        capacity: u128,
        /// Buy: most AID paid. Sell: least AID received.
        #[serde(with = "amount_str")]
        limit: u128,
        /// Latest block time, ms.
        deadline: u64,
    },
}

/// EIP-712 structs of [`CapacityTx`].
pub mod eip712 {
    #![allow(missing_docs)]
    alloy_sol_types::sol! {
        struct MintCapacity { address sender; uint64 nonce; string device_class; uint64 slot_start; uint128 amount; }
        struct RedeemCapacity { address sender; uint64 nonce; uint64 job; uint32 token; uint128 amount; }
        struct ExpireSlot { address sender; uint64 nonce; uint32 token; }
        struct CreateCapacityPool { address sender; uint64 nonce; uint32 token; uint128 par_price; uint128 scalar_root; uint128 initial_anchor; uint32 fee_bps; uint128 capacity; uint128 quote; }
        struct AddCapacityLiquidity { address sender; uint64 nonce; uint32 token; uint128 capacity_max; uint128 quote_max; uint128 min_lp; uint64 deadline; }
        struct RemoveCapacityLiquidity { address sender; uint64 nonce; uint32 token; uint128 lp; uint128 min_capacity; uint128 min_quote; uint64 deadline; }
        struct SwapCapacity { address sender; uint64 nonce; uint32 token; bool buy; uint128 capacity; uint128 limit; uint64 deadline; }
    }
}

impl CapacityTx {
    /// EIP-712 primary type name (= the JSON tag).
    pub fn type_name(&self) -> &'static str {
        match self {
            CapacityTx::MintCapacity { .. } => "MintCapacity",
            CapacityTx::RedeemCapacity { .. } => "RedeemCapacity",
            CapacityTx::ExpireSlot { .. } => "ExpireSlot",
            CapacityTx::CreateCapacityPool { .. } => "CreateCapacityPool",
            CapacityTx::AddCapacityLiquidity { .. } => "AddCapacityLiquidity",
            CapacityTx::RemoveCapacityLiquidity { .. } => "RemoveCapacityLiquidity",
            CapacityTx::SwapCapacity { .. } => "SwapCapacity",
        }
    }

    /// EIP-712 `hashStruct` of this payload sent by `sender` with `nonce`.
    pub fn struct_hash(&self, sender: alloy_primitives::Address, nonce: u64) -> Hash {
        let h = match self {
            CapacityTx::MintCapacity {
                device_class,
                slot_start,
                amount,
            } => eip712::MintCapacity {
                sender,
                nonce,
                device_class: device_class.clone(),
                slot_start: *slot_start,
                amount: *amount,
            }
            .eip712_hash_struct(),
            CapacityTx::RedeemCapacity { job, token, amount } => eip712::RedeemCapacity {
                sender,
                nonce,
                job: *job,
                token: token.0,
                amount: *amount,
            }
            .eip712_hash_struct(),
            CapacityTx::ExpireSlot { token } => eip712::ExpireSlot {
                sender,
                nonce,
                token: token.0,
            }
            .eip712_hash_struct(),
            CapacityTx::CreateCapacityPool {
                token,
                par_price,
                scalar_root,
                initial_anchor,
                fee_bps,
                capacity,
                quote,
            } => eip712::CreateCapacityPool {
                sender,
                nonce,
                token: token.0,
                par_price: *par_price,
                scalar_root: *scalar_root,
                initial_anchor: *initial_anchor,
                fee_bps: *fee_bps,
                capacity: *capacity,
                quote: *quote,
            }
            .eip712_hash_struct(),
            CapacityTx::AddCapacityLiquidity {
                token,
                capacity_max,
                quote_max,
                min_lp,
                deadline,
            } => eip712::AddCapacityLiquidity {
                sender,
                nonce,
                token: token.0,
                capacity_max: *capacity_max,
                quote_max: *quote_max,
                min_lp: *min_lp,
                deadline: *deadline,
            }
            .eip712_hash_struct(),
            CapacityTx::RemoveCapacityLiquidity {
                token,
                lp,
                min_capacity,
                min_quote,
                deadline,
            } => eip712::RemoveCapacityLiquidity {
                sender,
                nonce,
                token: token.0,
                lp: *lp,
                min_capacity: *min_capacity,
                min_quote: *min_quote,
                deadline: *deadline,
            }
            .eip712_hash_struct(),
            CapacityTx::SwapCapacity {
                token,
                buy,
                capacity,
                limit,
                deadline,
            } => eip712::SwapCapacity {
                sender,
                nonce,
                token: token.0,
                buy: *buy,
                capacity: *capacity,
                limit: *limit,
                deadline: *deadline,
            }
            .eip712_hash_struct(),
        };
        Hash(h.0)
    }
}

/// Run a capacity transaction.
pub(crate) fn dispatch(
    ex: &mut Exec<'_>,
    sender: &Address,
    tx: &CapacityTx,
) -> Result<(), LedgerError> {
    match tx {
        CapacityTx::MintCapacity {
            device_class,
            slot_start,
            amount,
        } => super::mint(ex, sender, device_class, Timestamp(*slot_start), *amount),
        CapacityTx::RedeemCapacity { job, token, amount } => {
            super::redeem(ex, sender, *job, *token, *amount)
        }
        CapacityTx::ExpireSlot { token } => super::expire_slot(ex, *token),
        CapacityTx::CreateCapacityPool {
            token,
            par_price,
            scalar_root,
            initial_anchor,
            fee_bps,
            capacity,
            quote,
        } => pool::create(
            ex,
            sender,
            CreateArgs {
                token: *token,
                par_price: *par_price,
                scalar_root: *scalar_root,
                initial_anchor: *initial_anchor,
                fee_bps: *fee_bps,
                capacity: *capacity,
                quote: *quote,
            },
        ),
        CapacityTx::AddCapacityLiquidity {
            token,
            capacity_max,
            quote_max,
            min_lp,
            deadline,
        } => pool::add_liquidity(
            ex,
            sender,
            *token,
            *capacity_max,
            *quote_max,
            *min_lp,
            *deadline,
        ),
        CapacityTx::RemoveCapacityLiquidity {
            token,
            lp,
            min_capacity,
            min_quote,
            deadline,
        } => pool::remove_liquidity(
            ex,
            sender,
            *token,
            *lp,
            *min_capacity,
            *min_quote,
            *deadline,
        ),
        CapacityTx::SwapCapacity {
            token,
            buy,
            capacity,
            limit,
            deadline,
        } => pool::swap(ex, sender, *token, *buy, *capacity, *limit, *deadline),
    }
}

/// What the capacity module did (inside `Event::Capacity`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapacityEvent {
    /// A provider minted tokens and locked stake.
    Minted {
        /// Token.
        token: TokenId,
        /// Provider.
        provider: Address,
        /// Base units.
        #[serde(with = "amount_str")]
        amount: u128,
        /// Extra stake locked.
        #[serde(with = "amount_str")]
        locked: u128,
    },
    /// A buyer redeemed tokens for a job.
    Redeemed {
        /// Token.
        token: TokenId,
        /// Job.
        job: u64,
        /// Buyer.
        buyer: Address,
        /// Provider assigned.
        provider: Address,
        /// Base units burned.
        #[serde(with = "amount_str")]
        amount: u128,
    },
    /// A slot ended.
    SlotExpired {
        /// Token.
        token: TokenId,
        /// Leftover tokens burned.
        #[serde(with = "amount_str")]
        burned: u128,
        /// Stake released.
        #[serde(with = "amount_str")]
        released: u128,
        /// Stake slashed for unserved redemptions.
        #[serde(with = "amount_str")]
        slashed: u128,
    },
    /// A pool was opened.
    PoolCreated {
        /// Token.
        token: TokenId,
        /// Quote token.
        quote: TokenId,
        /// First liquidity provider.
        provider: Address,
        /// Tokens deposited.
        #[serde(with = "amount_str")]
        capacity: u128,
        /// AID deposited.
        #[serde(with = "amount_str")]
        quote_amount: u128,
        /// LP shares minted to the provider.
        #[serde(with = "amount_str")]
        lp: u128,
    },
    /// Liquidity deposited.
    LiquidityAdded {
        /// Token.
        token: TokenId,
        /// Depositor.
        provider: Address,
        /// Tokens in.
        #[serde(with = "amount_str")]
        capacity: u128,
        /// AID in.
        #[serde(with = "amount_str")]
        quote_amount: u128,
        /// LP shares minted.
        #[serde(with = "amount_str")]
        lp: u128,
    },
    /// Liquidity withdrawn.
    LiquidityRemoved {
        /// Token.
        token: TokenId,
        /// Withdrawer.
        provider: Address,
        /// Tokens out.
        #[serde(with = "amount_str")]
        capacity: u128,
        /// AID out.
        #[serde(with = "amount_str")]
        quote_amount: u128,
        /// LP shares burned.
        #[serde(with = "amount_str")]
        lp: u128,
    },
    /// A swap.
    Swapped {
        /// Token.
        token: TokenId,
        /// Trader.
        trader: Address,
        /// Bought tokens (true) or sold.
        buy: bool,
        /// Tokens.
        #[serde(with = "amount_str")]
        capacity: u128,
        /// AID paid or received.
        #[serde(with = "amount_str")]
        quote_amount: u128,
    },
}
