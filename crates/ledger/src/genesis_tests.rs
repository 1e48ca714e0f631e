//! Tests of genesis parsing, validation and the devnet genesis.

use super::*;

#[test]
fn vty_split_is_exact() {
    assert_eq!(VTY_SUPPLY, 10_000_000_000u128 * 10u128.pow(18));
    assert_eq!(VTY_COMMUNITY_TREASURY, 4_040_000_000 * VTY);
    assert_eq!(VTY_INVESTORS, 2_960_000_000 * VTY);
    assert_eq!(VTY_TEAM, 2_500_000_000 * VTY);
    assert_eq!(VTY_COMMUNITY_SALE, 500_000_000 * VTY);
    assert_eq!(
        VTY_COMMUNITY_TREASURY + VTY_INVESTORS + VTY_TEAM + VTY_COMMUNITY_SALE,
        VTY_SUPPLY
    );
}

#[test]
fn dev_genesis_builds_with_full_vty_supply() {
    let accts = dev_accounts(4);
    let addrs: Vec<Address> = accts.iter().map(|a| a.1).collect();
    let g = Genesis::dev(&addrs);
    g.validate().expect("valid");
    let s = State::from_genesis(&g).expect("state");
    let vty = s.token(TokenId(0)).expect("vty");
    assert_eq!(vty.symbol, "VTY");
    assert_eq!(vty.supply, VTY_SUPPLY);
    assert_eq!(vty.cap, VTY_SUPPLY);
    assert_eq!(vty.mint_authority, None);
    // issue 5: the team's VTY vests (held by the vesting account).
    let team = crate::vesting::schedules(&s, &dev_address_named("team")).expect("team");
    assert_eq!(team[0].total, VTY_TEAM);
    for t in [1, 2] {
        let info = s.token(TokenId(t)).expect("stable");
        assert_eq!(info.decimals, 6);
        assert_eq!(info.mint_authority, Some(dev_address_named("bridge")));
    }
    assert_eq!(s.balance(addrs[1], TokenId(1)), DEV_STABLE_EACH);
    assert_eq!(
        s.balance(addrs[0], TokenId(0)),
        DEV_VTY_EACH - DEV_VALIDATOR_STAKE
    );
    assert_eq!(s.chain_id(), DEV_CHAIN_ID);
    // Deterministic: same genesis, same root.
    assert_eq!(State::from_genesis(&g).expect("again").root(), s.root());
    // Keys are the documented derivation.
    assert_eq!(
        dev_secret(0).to_secret_bytes(),
        Hash::keccak(b"verity-devnet-0").0
    );
}

#[test]
fn toml_round_trip() {
    let g = Genesis::dev(&[Address([9; 20])]);
    let text = g.to_toml_string();
    let back = Genesis::from_toml_str(&text).expect("parse");
    assert_eq!(back, g);
}

#[test]
fn toml_errors_name_the_field() {
    let base = r#"
chain_id = 5
genesis_time = 0
[[tokens]]
symbol = "ABC"
decimals = 6
"#;
    Genesis::from_toml_str(base).expect("minimal genesis");
    let e = Genesis::from_toml_str(&format!("{base}\nbogus = 1\n")).expect_err("unknown field");
    assert!(e.to_string().contains("bogus"), "{e}");
    let e = Genesis::from_toml_str(&base.replace("decimals = 6", "decimals = 6\ncolour = 1"))
        .expect_err("unknown token field");
    assert!(e.to_string().contains("colour"), "{e}");
    let bad_bal = format!(
        "{base}\n[[balances]]\naddress = \"0x{}\"\ntoken = \"XYZ\"\namount = \"5\"\n",
        "11".repeat(20)
    );
    let e = Genesis::from_toml_str(&bad_bal).expect_err("unknown token");
    assert!(e.to_string().contains("balances[0].token"), "{e}");
    let bad_addr =
        format!("{base}\n[[balances]]\naddress = \"0x12\"\ntoken = \"ABC\"\namount = \"5\"\n");
    let e = Genesis::from_toml_str(&bad_addr).expect_err("bad address");
    assert!(e.to_string().contains("address"), "{e}");
    let over = base.replace("decimals = 6", "decimals = 6\ncap = \"4\"")
        + &format!(
            "\n[[balances]]\naddress = \"0x{}\"\ntoken = \"ABC\"\namount = \"5\"\n",
            "11".repeat(20)
        );
    let e = Genesis::from_toml_str(&over).expect_err("over cap");
    assert!(e.to_string().contains("cap"), "{e}");
    let val = format!(
        "{base}\n[[validators]]\naddress = \"0x{}\"\nstake = \"5\"\n",
        "22".repeat(20)
    );
    let e = Genesis::from_toml_str(&val).expect_err("validator without balance");
    assert!(e.to_string().contains("validators[0]"), "{e}");
    let e = Genesis::from_toml_str("chain_id = 0\ngenesis_time = 0\ntokens = []\n")
        .expect_err("zero chain");
    assert!(e.to_string().contains("chain_id"), "{e}");
}

#[test]
fn params_encode_round_trip() {
    let p = Params {
        unbonding_delay_ms: 5,
        max_block_txs: 6,
        max_metadata_bytes: 7,
        max_unbondings: 8,
        staking_token: TokenId(1),
    };
    assert_eq!(Params::decode(&p.encode()).expect("decode"), p);
    assert!(Params::decode(&p.encode()[..5]).is_err());
}
