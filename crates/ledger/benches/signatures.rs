//! Signature verifications (recover the signer + compare with the sender) per second on one
//! core: libsecp256k1 (`secp256k1`, what the ledger uses) side by side with pure-Rust `k256`,
//! printing the ratio. Both recover from the same EIP-712 digests and signatures.
// Benchmarks measure wall-clock time; the ledger itself never does.
#![allow(clippy::disallowed_types, clippy::disallowed_methods, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::time::Instant;
use verity_ledger::genesis::dev_accounts;
use verity_ledger::{Address, Hash, Payload, SignedTransaction, TokenId, Transaction};

fn k256_recover(digest: &Hash, sig: &[u8; 65]) -> Option<Address> {
    use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
    let s = Signature::from_slice(&sig[..64]).ok()?;
    let v = sig[64];
    let recid = RecoveryId::from_byte(if v >= 27 { v - 27 } else { v })?;
    let vk = VerifyingKey::recover_from_prehash(&digest.0, &s, recid).ok()?;
    let point = vk.to_sec1_point(false);
    let h = Hash::keccak(&point.as_bytes()[1..]);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[12..]);
    Some(Address(a))
}

fn signatures(c: &mut Criterion) {
    let keys = dev_accounts(64);
    let txs: Vec<(Hash, SignedTransaction)> = keys
        .iter()
        .enumerate()
        .map(|(i, (k, a))| {
            let tx = Transaction {
                chain_id: 1337,
                sender: *a,
                nonce: i as u64,
                payload: Payload::Transfer {
                    to: keys[0].1,
                    token: TokenId(1),
                    amount: 5,
                },
            };
            let s = SignedTransaction::sign(tx, k);
            (s.hash(), s)
        })
        .collect();
    // Correctness first: both libraries recover the sender.
    for (d, s) in &txs {
        s.verify_signature().expect("secp256k1 verifies");
        assert_eq!(
            k256_recover(d, &s.signature.0),
            Some(s.tx.sender),
            "k256 agrees"
        );
    }

    let rounds = 20usize;
    let t0 = Instant::now();
    for _ in 0..rounds {
        for (d, s) in &txs {
            let a = verity_ledger::tx::recover_signer(d, &s.signature).expect("ok");
            assert_eq!(a, s.tx.sender);
        }
    }
    let secp = t0.elapsed();
    let t0 = Instant::now();
    for _ in 0..rounds {
        for (d, s) in &txs {
            assert_eq!(k256_recover(d, &s.signature.0), Some(s.tx.sender));
        }
    }
    let k = t0.elapsed();
    let n = (rounds * txs.len()) as f64;
    let secp_ps = n / secp.as_secs_f64();
    let k_ps = n / k.as_secs_f64();
    println!("secp256k1 (libsecp256k1): {secp_ps:.0} recoveries/s per core");
    println!("k256 (pure Rust):         {k_ps:.0} recoveries/s per core");
    println!("libsecp256k1 / k256 = {:.2}x", secp_ps / k_ps);

    let mut g = c.benchmark_group("recover_signer");
    g.throughput(Throughput::Elements(txs.len() as u64));
    g.sample_size(10);
    g.bench_function("secp256k1", |b| {
        b.iter(|| {
            for (d, s) in &txs {
                std::hint::black_box(verity_ledger::tx::recover_signer(d, &s.signature).ok());
            }
        })
    });
    g.bench_function("k256", |b| {
        b.iter(|| {
            for (d, s) in &txs {
                std::hint::black_box(k256_recover(d, &s.signature.0));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, signatures);
criterion_main!(benches);
