//! Tests of asset ownership (ERC-721-style transfer and approval, operator), transaction JSON and
//! EIP-712 hashing, and the governance parameters of the assets module.

use super::tests::{AID, BUYER, OP, SAVER, World, spec};
use super::*;
use crate::treasury::testkit::{err, ok};
use crate::tx::Payload;

#[test]
fn assets_transfer_like_erc721() {
    let mut w = World::new();
    let id = w.active_asset(OP, "gpu-t");
    let (op, buyer, saver) = (w.a(OP), w.a(BUYER), w.a(SAVER));
    assert!(
        err(&w.asset_tx(
            BUYER,
            AssetTx::Transfer {
                asset: id,
                to: buyer
            }
        ))
        .contains("neither the owner")
    );
    ok(&w.asset_tx(
        OP,
        AssetTx::Approve {
            asset: id,
            spender: buyer,
        },
    ));
    ok(&w.asset_tx(
        BUYER,
        AssetTx::Transfer {
            asset: id,
            to: saver,
        },
    ));
    let a = w.asset(id);
    assert_eq!((a.owner, a.operator, a.approved), (saver, op, None));
    assert!(
        err(&w.asset_tx(
            BUYER,
            AssetTx::Transfer {
                asset: id,
                to: buyer
            }
        ))
        .contains("neither the owner")
    );
    ok(&w.asset_tx(
        SAVER,
        AssetTx::SetOperator {
            asset: id,
            operator: buyer,
        },
    ));
    assert_eq!(w.asset(id).operator, buyer);
    // Serial hashes are unique; bad specs are refused.
    assert!(err(&w.asset_tx(OP, AssetTx::Register(spec("gpu-t")))).contains("serial"));
    let mut bad = spec("gpu-z");
    bad.max_power_mw = 0;
    assert!(err(&w.asset_tx(OP, AssetTx::Register(bad))).contains("positive"));
}

#[test]
fn asset_tx_json_and_eip712_are_stable() {
    let t = Payload::Assets(AssetTx::Transfer {
        asset: 3,
        to: Address([7; 20]),
    });
    let j = serde_json::to_string(&t).expect("json");
    assert!(j.starts_with("{\"Assets\":{\"TransferAsset\":"), "{j}");
    let back: Payload = serde_json::from_str(&j).expect("parse");
    assert_eq!(back, t);
    assert_eq!(t.type_name(), "TransferAsset");
    let a = AssetTx::Attest {
        asset: 1,
        claim: ClaimKind::Performance { job: 2 },
    };
    let b = AssetTx::Attest {
        asset: 1,
        claim: ClaimKind::Performance { job: 3 },
    };
    assert_ne!(
        a.struct_hash(&Address::ZERO, 0),
        b.struct_hash(&Address::ZERO, 0)
    );
    assert_ne!(
        a.struct_hash(&Address::ZERO, 0),
        a.struct_hash(&Address::ZERO, 1)
    );
}

fn run_gov(w: &mut World, param: &str, value: &str) {
    let st = &w.kit.state;
    let ws = {
        let mut ex = Exec::new(st, st.height(), st.time());
        crate::governance::params::apply(&mut ex, param, value).expect("applies");
        ex.commit_tx();
        ex.into_write_set()
    };
    w.kit.state.commit(&ws).expect("commit");
    w.kit.state.check_invariants().expect("invariants");
}

#[test]
fn governance_names_the_manager_and_approves_deals() {
    use crate::governance::params::validate;
    assert!(validate("asset_min_attesters", "0").is_err());
    assert!(validate("asset_min_attesters", "33").is_err());
    assert!(validate("asset_attest_slash_bps", "10001").is_err());
    assert!(validate("vault_manager", "nobody").is_err());
    assert!(validate("finance_approve", "-1").is_err());
    let mut w = World::new();
    ok(&w.send(
        SAVER,
        Payload::VaultDeposit {
            assets: 1_000 * AID,
            min_shares: 0,
        },
    ));
    let asset = w.active_asset(OP, "gpu-gov");
    ok(&w.asset_tx(
        OP,
        AssetTx::ProposeFinancing {
            asset,
            principal: 300 * AID,
            share_bps: 500,
            term_ms: 1,
        },
    ));
    let op0 = w.kit.state.balance(w.a(OP), w.aid);
    run_gov(&mut w, "finance_approve", "0");
    let d = finance::deal(&w.kit.state, 0).expect("read").expect("deal");
    assert_eq!(d.status, DealStatus::Active);
    assert_eq!(w.kit.state.balance(w.a(OP), w.aid), op0 + 300 * AID);
    let manager = w.a(BUYER);
    run_gov(&mut w, "vault_manager", &manager.to_string());
    run_gov(&mut w, "asset_min_attesters", "3");
    let p = params(&w.kit.state).expect("params");
    assert_eq!((p.vault_manager, p.min_attesters), (Some(manager), 3));
    run_gov(&mut w, "vault_manager", "none");
    assert_eq!(params(&w.kit.state).expect("params").vault_manager, None);
}
