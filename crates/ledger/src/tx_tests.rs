//! Tests of transaction hashing and signing, including the EIP-712 specification's own
//! "Mail" example (domain separator, struct hash, digest and the signature by keccak256("cow")).

use super::*;
use alloy_sol_types::{SolStruct, eip712_domain, sol};
use proptest::prelude::*;

sol! {
    struct Person { string name; address wallet; }
    struct Mail { Person from; Person to; string contents; }
}

fn h(s: &str) -> Hash {
    s.parse().expect("test vector")
}

#[test]
fn eip712_spec_mail_example() {
    let domain = eip712_domain! {
        name: "Ether Mail",
        version: "1",
        chain_id: 1,
        verifying_contract: alloy_primitives::address!("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"),
    };
    let mail = Mail {
        from: Person {
            name: "Cow".into(),
            wallet: alloy_primitives::address!("CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"),
        },
        to: Person {
            name: "Bob".into(),
            wallet: alloy_primitives::address!("bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
        },
        contents: "Hello, Bob!".into(),
    };
    let sep = Hash(domain.separator().0);
    assert_eq!(
        sep,
        h("0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f")
    );
    let sh = Hash(mail.eip712_hash_struct().0);
    assert_eq!(
        sh,
        h("0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e")
    );
    let digest = signing_hash_with(&sep, &sh);
    assert_eq!(
        digest,
        h("0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2")
    );
    assert_eq!(Hash(mail.eip712_signing_hash(&domain).0), digest);

    let cow = secret_key_from_bytes(Hash::keccak(b"cow").0).expect("valid key");
    assert_eq!(
        address_of(&cow).to_string(),
        "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
    );
    let sig = sign_digest(&digest, &cow);
    assert_eq!(sig.v(), 28);
    assert_eq!(
        Hash(sig.r()),
        h("0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d")
    );
    assert_eq!(
        Hash(sig.s()),
        h("0x07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562")
    );
    assert_eq!(
        recover_signer(&digest, &sig).expect("recovers"),
        address_of(&cow)
    );
}

fn key(i: u8) -> secp256k1::SecretKey {
    secret_key_from_bytes(Hash::keccak(&[i]).0).expect("valid key")
}

fn sample_tx(sender: Address) -> Transaction {
    Transaction {
        chain_id: 1337,
        sender,
        nonce: 3,
        payload: Payload::Transfer {
            to: Address([7; 20]),
            token: TokenId(1),
            amount: 12_345,
        },
    }
}

#[test]
fn transfer_type_string_and_wallet_view() {
    assert_eq!(
        eip712::Transfer::eip712_encode_type(),
        "Transfer(address sender,uint64 nonce,address to,uint32 token,uint128 amount)"
    );
    assert_eq!(
        eip712::Withdraw::eip712_encode_type(),
        "Withdraw(address sender,uint64 nonce)"
    );
}

#[test]
fn sign_verify_round_trip_and_tamper() {
    let k = key(1);
    let stx = SignedTransaction::sign(sample_tx(address_of(&k)), &k);
    stx.verify_signature().expect("valid");
    assert!(stx.signature.s() <= HALF_N, "libsecp256k1 signs low-s");

    // v as 0/1 is accepted too.
    let mut v01 = stx.clone();
    v01.signature.0[64] -= 27;
    v01.verify_signature().expect("v in {0,1}");

    // Any change to the signed content changes the signer.
    let mut t = stx.clone();
    t.tx.nonce += 1;
    assert!(matches!(
        t.verify_signature(),
        Err(AdmissionError::WrongSigner { .. })
    ));
    let mut t = stx.clone();
    t.tx.chain_id = 1;
    assert!(matches!(
        t.verify_signature(),
        Err(AdmissionError::WrongSigner { .. })
    ));

    // Signed by someone else.
    let other = SignedTransaction::sign(sample_tx(address_of(&k)), &key(2));
    assert!(matches!(
        other.verify_signature(),
        Err(AdmissionError::WrongSigner { .. })
    ));

    // Bad v.
    let mut bad = stx.clone();
    bad.signature.0[64] = 5;
    assert!(matches!(
        bad.verify_signature(),
        Err(AdmissionError::BadSignature(_))
    ));
}

/// n - s as big-endian bytes.
fn neg_s(s: [u8; 32]) -> [u8; 32] {
    const N: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ];
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let mut d = i16::from(N[i]) - i16::from(s[i]) - borrow;
        borrow = 0;
        if d < 0 {
            d += 256;
            borrow = 1;
        }
        out[i] = u8::try_from(d).expect("0..=255");
    }
    out
}

#[test]
fn high_s_is_rejected_with_its_own_error() {
    let k = key(3);
    let stx = SignedTransaction::sign(sample_tx(address_of(&k)), &k);
    // (r, n - s, v ^ 1) is the malleated signature of the same message by the same key.
    let mut m = stx.clone();
    m.signature.0[32..64].copy_from_slice(&neg_s(stx.signature.s()));
    m.signature.0[64] = if stx.signature.v() == 27 { 28 } else { 27 };
    assert_eq!(m.verify_signature(), Err(AdmissionError::HighS));
}

#[test]
fn json_shape() {
    let k = key(4);
    let stx = SignedTransaction::sign(sample_tx(address_of(&k)), &k);
    let j = serde_json::to_value(&stx).expect("json");
    assert_eq!(j["tx"]["payload"]["Transfer"]["amount"], "12345");
    assert_eq!(j["tx"]["payload"]["Transfer"]["token"], 1);
    assert_eq!(j["tx"]["chain_id"], 1337);
    let back: SignedTransaction = serde_json::from_value(j).expect("parse");
    assert_eq!(back, stx);
    let w = serde_json::to_string(&Payload::Withdraw).expect("json");
    assert_eq!(w, "\"Withdraw\"");
    assert!(stx.encoded_len() < MAX_TX_BYTES);
    assert!("0x12".parse::<Signature65>().is_err());
}

proptest! {
    #[test]
    fn every_payload_signs_and_verifies(seed in 1u8..=255, nonce in any::<u64>(), amount in any::<u128>(), meta in ".{0,40}") {
        let k = key(seed);
        let sender = address_of(&k);
        let payloads = vec![
            Payload::Transfer { to: Address([1; 20]), token: TokenId(0), amount },
            Payload::Mint { token: TokenId(2), to: Address([2; 20]), amount },
            Payload::Burn { token: TokenId(1), amount },
            Payload::RegisterActor { kind: ActorKind::Provider, metadata: meta.clone() },
            Payload::UpdateActor { metadata: meta },
            Payload::Bond { amount },
            Payload::Unbond { amount },
            Payload::Withdraw,
        ];
        let mut hashes = std::collections::BTreeSet::new();
        for p in payloads {
            let stx = SignedTransaction::sign(Transaction { chain_id: 9, sender, nonce, payload: p }, &k);
            prop_assert!(stx.verify_signature().is_ok());
            prop_assert!(hashes.insert(stx.hash()), "distinct payloads give distinct hashes");
        }
    }
}

thread_local! {
    /// When set, `struct_hash` uses alloy's own `eip712_hash_struct` (no type-hash cache).
    pub(super) static ALLOY_STRUCT_HASH: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One sample of every payload variant (extend when adding a variant).
fn every_payload(amount: u128, text: &str) -> Vec<Payload> {
    let t = TokenId(3);
    let d = Timestamp(77);
    let hh = Hash::keccak(text.as_bytes());
    vec![
        Payload::Transfer {
            to: Address([1; 20]),
            token: t,
            amount,
        },
        Payload::Mint {
            token: t,
            to: Address([2; 20]),
            amount,
        },
        Payload::Burn { token: t, amount },
        Payload::RegisterActor {
            kind: ActorKind::Model,
            metadata: text.into(),
        },
        Payload::UpdateActor {
            metadata: text.into(),
        },
        Payload::Bond { amount },
        Payload::Unbond { amount },
        Payload::Withdraw,
        Payload::CreatePool {
            token_a: t,
            token_b: TokenId(4),
            fee_bps: 30,
        },
        Payload::AddLiquidity {
            pool: 1,
            amount_a_desired: amount,
            amount_b_desired: 2,
            amount_a_min: 3,
            amount_b_min: 4,
            deadline: d,
        },
        Payload::RemoveLiquidity {
            pool: 1,
            liquidity: amount,
            amount_a_min: 3,
            amount_b_min: 4,
            deadline: d,
        },
        Payload::SwapExactIn {
            path: vec![t, TokenId(4)],
            amount_in: amount,
            min_out: 1,
            deadline: d,
        },
        Payload::SwapExactOut {
            path: vec![t, TokenId(4)],
            amount_out: amount,
            max_in: 9,
            deadline: d,
        },
        Payload::SwapRouted {
            from: t,
            to: TokenId(4),
            amount_in: amount,
            min_out: 1,
            deadline: d,
        },
        Payload::ReportPrice {
            feed: text.into(),
            value: amount,
        },
        Payload::AccrueNav,
        Payload::Subscribe { asset: t, amount },
        Payload::Redeem {
            shares: amount,
            asset: t,
        },
        Payload::MintAid {
            collateral: t,
            amount,
        },
        Payload::RedeemAid {
            amount,
            collateral: t,
        },
        Payload::SnapshotReserves,
        Payload::VaultDeposit {
            assets: amount,
            min_shares: 1,
        },
        Payload::VaultMint {
            shares: amount,
            max_assets: 1,
        },
        Payload::VaultRequestRedeem { shares: amount },
        Payload::VaultRequestWithdraw { assets: amount },
        Payload::VaultClaim,
        Payload::ClaimVested,
        Payload::CreateLock {
            amount,
            unlock_time: 5,
        },
        Payload::IncreaseAmount { amount },
        Payload::IncreaseUnlockTime { unlock_time: 6 },
        Payload::WithdrawLock,
        Payload::Propose {
            param: text.into(),
            value: "7".into(),
        },
        Payload::Vote {
            proposal: 2,
            support: true,
        },
        Payload::ExecuteProposal { proposal: 2 },
        Payload::ExecuteBuyback { token: t },
        Payload::SetSavingsPolicy {
            target_token: t,
            share_bps: 10,
            max_slippage_bps: 20,
            min_batch: amount,
        },
        Payload::PostJob(
            serde_json::from_value(serde_json::json!({
                "spec_hash": hh, "data_hashes": [hh, Hash::ZERO], "token": 3, "max_price": "5",
                "escrow": amount.to_string(), "device_class": text, "min_cores": 2,
                "min_memory_mb": 512, "spot_check_bps": 100, "challenge_window_ms": 9,
                "bid_window_ms": 8, "deadline_ms": 7
            }))
            .expect("JobTerms sample"),
        ),
        Payload::Bid {
            job: 1,
            price: amount,
        },
        Payload::CloseBidding { job: 1 },
        Payload::Commit {
            job: 1,
            result: serde_json::from_value(serde_json::json!({
                "output_hash": hh, "trace_root": Hash::ZERO, "steps": 3, "ops_per_step": 4,
                "receipt_version": 1
            }))
            .expect("CommitArgs sample"),
        },
        Payload::Settle { job: 1 },
        Payload::Expire { job: 1 },
        Payload::Cancel { job: 1 },
        Payload::Challenge {
            job: 1,
            trace_root: hh,
            bond: amount,
        },
        Payload::Bisect {
            dispute: 1,
            left: hh,
            right: Hash::ZERO,
        },
        Payload::Rule {
            dispute: 1,
            evidence: text.into(),
        },
        Payload::ClaimTimeout { dispute: 1 },
        Payload::Attest { job: 1 },
        // validators (issue 7)
        Payload::RegisterP2pKey {
            key: hh.0,
            proof: text.as_bytes().to_vec(),
        },
        Payload::ReportDoubleSign {
            evidence: amount.to_be_bytes().to_vec(),
        },
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// The cached-type-hash struct hash equals alloy's `eip712_hash_struct` for every payload
    /// variant, including types seen for the first time on this thread.
    #[test]
    fn cached_struct_hash_equals_alloys(nonce in any::<u64>(), amount in any::<u128>(), text in ".{0,30}") {
        let all = every_payload(amount, &text);
        let n = all.len();
        let mut names = std::collections::BTreeSet::new();
        for payload in all {
            names.insert(payload.type_name());
            let tx = Transaction { chain_id: 5, sender: Address([9; 20]), nonce, payload };
            let cached = (tx.struct_hash(), tx.struct_hash());
            ALLOY_STRUCT_HASH.with(|c| c.set(true));
            let alloy = tx.struct_hash();
            ALLOY_STRUCT_HASH.with(|c| c.set(false));
            prop_assert_eq!(cached.0, alloy, "{}", tx.payload.type_name());
            prop_assert_eq!(cached.1, alloy);
        }
        prop_assert_eq!(names.len(), n, "each sample is a different variant");
    }
}

/// The per-thread domain-separator memo follows chain-id changes, and `verify_and_hash`
/// returns the signing hash.
#[test]
fn signing_hash_tracks_the_chain_id() {
    let k = key(3);
    let sender = address_of(&k);
    for chain_id in [9u64, 5, 9, 1, 1] {
        let tx = Transaction {
            chain_id,
            ..sample_tx(sender)
        };
        let want = signing_hash_with(&domain_separator(chain_id), &tx.struct_hash());
        assert_eq!(tx.signing_hash(), want);
        let stx = SignedTransaction::sign(tx, &k);
        assert_eq!(stx.verify_and_hash().expect("valid"), want);
    }
}
