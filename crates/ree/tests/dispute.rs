//! What a dispute needs from a trace: a flipped bit in one op output changes the root, the first
//! divergence names that step and op, Merkle proofs verify, and single-op replay on the
//! provider's inputs reproduces the honest leaf.

mod common;

use common::*;
use verity_ree::KernelChoice;
use verity_ree::replay::replay_op;
use verity_ree::runner::RunOptions;
use verity_ree::trace::{InputRef, LeafInfo, Trace, merkle, verify_leaf};
use verity_ree::train::recorder::BitFlip;

fn first_op_leaf_named(trace: &Trace, name: &str) -> usize {
    trace
        .layout
        .iter()
        .position(|l| matches!(l, LeafInfo::Op(r) if r.name == name))
        .expect("op present in the graph")
}

#[test]
fn flipped_bit_is_found_and_proven() {
    let dir = job_dir();
    for (file, text, op_name) in [
        (
            "mlp.toml",
            mlp_spec("[11, 16, 16, 1]", "adamw", "0.001", 8, 0),
            "relu",
        ),
        ("lm.toml", lm_spec(5, 0, "0.003"), "attention"),
    ] {
        let spec = write_spec(dir.path(), file, &text);
        let honest = run(&spec, &RunOptions::default()).expect("runs");
        let leaf = first_op_leaf_named(&honest.trace, op_name);
        let step = 3u64;
        let cheat = run(
            &spec,
            &RunOptions {
                fault: Some(BitFlip {
                    step,
                    leaf,
                    element: 5,
                    bit: 0,
                }),
                kernel: KernelChoice::Scalar,
                ..RunOptions::default()
            },
        )
        .expect("runs");
        assert_ne!(honest.receipt.trace_root, cheat.receipt.trace_root);
        // Steps before the fault agree; the first divergence is exactly (step, leaf).
        assert_eq!(
            honest.trace.step_hashes()[..step as usize],
            cheat.trace.step_hashes()[..step as usize]
        );
        let (s, l) = honest
            .trace
            .first_divergence(&cheat.trace)
            .expect("differs");
        assert_eq!((s, l), (step as usize, leaf), "{file}");
        match &cheat.trace.layout[l] {
            LeafInfo::Op(r) => assert_eq!(r.name, op_name),
            other => panic!("divergence at non-op leaf {other:?}"),
        }
        // Proofs of the disputed leaf under each party's root.
        for t in [&honest.trace, &cheat.trace] {
            let root = t.root();
            let sp = t.prove_step(s).expect("in range");
            let lp = t.prove_leaf(s, l).expect("in range");
            assert_eq!((sp.index, lp.index), (s, l));
            assert!(verify_leaf(
                &root,
                &t.steps[s].hash,
                &sp,
                &t.steps[s].leaves[l],
                &lp
            ));
        }
        // The referee's ruling: replaying the disputed op on its agreed inputs reproduces the
        // honest leaf, not the cheat's.
        let with_inputs = run(
            &spec,
            &RunOptions {
                capture: Some((step, leaf)),
                ..RunOptions::default()
            },
        )
        .expect("runs");
        let c = with_inputs.captured.expect("captured");
        let ruling = replay_op(&c.op, &c.inputs, &c.input_hashes).expect("replays");
        assert_eq!(ruling, honest.trace.steps[s].leaves[l]);
        assert_ne!(ruling, cheat.trace.steps[s].leaves[l]);
        // The cheat's leaf does not verify under the honest root.
        let sp = honest.trace.prove_step(s).expect("in range");
        let lp = cheat.trace.prove_leaf(s, l).expect("in range");
        assert!(!verify_leaf(
            &honest.trace.root(),
            &cheat.trace.steps[s].hash,
            &sp,
            &cheat.trace.steps[s].leaves[l],
            &lp
        ));
    }
}

#[test]
fn replay_of_any_op_reproduces_its_leaf() {
    let dir = job_dir();
    for (file, text) in [
        (
            "mlp.toml",
            mlp_spec("[11, 16, 16, 1]", "adamw", "0.001", 3, 0),
        ),
        ("lm.toml", lm_spec(2, 0, "0.003")),
    ] {
        let spec = write_spec(dir.path(), file, &text);
        let base = run(&spec, &RunOptions::default()).expect("runs");
        let ops: Vec<usize> = base
            .trace
            .layout
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, LeafInfo::Op(_)))
            .map(|(i, _)| i)
            .collect();
        // First op, last op (optimizer), and one in the middle, at step 1.
        for leaf in [ops[0], ops[ops.len() / 2], ops[ops.len() - 1]] {
            let out = run(
                &spec,
                &RunOptions {
                    capture: Some((1, leaf)),
                    kernel: KernelChoice::Simd,
                    threads: 2,
                    ..RunOptions::default()
                },
            )
            .expect("runs");
            let c = out.captured.expect("captured");
            let replayed = replay_op(&c.op, &c.inputs, &c.input_hashes).expect("replays");
            assert_eq!(
                replayed, base.trace.steps[1].leaves[leaf],
                "{file} leaf {leaf}"
            );
            // Each input hash is derivable from an earlier leaf via the layout's references.
            let LeafInfo::Op(rec) = &base.trace.layout[leaf] else {
                panic!("op leaf expected")
            };
            for (r, h) in rec.inputs.iter().zip(&c.input_hashes) {
                match *r {
                    InputRef::Input(i) => {
                        let LeafInfo::Input(name) = &base.trace.layout[i] else {
                            panic!("input ref to a non-input leaf")
                        };
                        assert_eq!(
                            verity_ree::trace::input_leaf(name, h),
                            base.trace.steps[1].leaves[i]
                        );
                    }
                    InputRef::Op(i, _) => assert!(i < leaf),
                }
            }
        }
    }
}

#[test]
fn step_proofs_cover_every_step() {
    let dir = job_dir();
    let spec = write_spec(
        dir.path(),
        "mlp.toml",
        &mlp_spec("[11, 4, 1]", "sgd", "0.01", 7, 0),
    );
    let out = run(&spec, &RunOptions::default()).expect("runs");
    let root = out.trace.root();
    for (i, s) in out.trace.steps.iter().enumerate() {
        let p = out.trace.prove_step(i).expect("in range");
        assert!(merkle::verify(&root, &s.hash, &p));
        assert_eq!(merkle::root(&s.leaves), s.hash);
    }
    assert_eq!(verity_ree::trace::to_hex(&root), out.receipt.trace_root);
}
