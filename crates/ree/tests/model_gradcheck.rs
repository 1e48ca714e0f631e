//! The models' backward wiring matches central finite differences of their recorded loss.
//!
//! The gradient is read off one SGD step with lr 1, momentum 0 and no decay (`g = p - p'`);
//! the loss at `p ± eps` comes from the same recorded graph. Differences are taken in f64 from
//! f32 losses, so the tolerance is loose; a wrong or missing backward term is far outside it.

use verity_ree::data::{self, Dataset, builtin};
use verity_ree::prng::{Philox, Stream};
use verity_ree::spec::{JobSpec, ModelSpec};
use verity_ree::train::{State, Trainer};
use verity_ree::{Exec, KernelChoice};

fn trainer(spec: &str) -> Trainer {
    let spec = JobSpec::from_toml(spec).expect("valid spec");
    let ds = match &spec.model {
        ModelSpec::Mlp(m) => {
            let csv = builtin::export("iris").expect("built in").csv;
            Dataset::Table(
                data::parse_csv(csv.as_bytes(), &spec.data, m.task, "iris.csv").expect("csv"),
            )
        }
        ModelSpec::Transformer(_) => {
            let text = include_bytes!("data/sonnets.txt");
            Dataset::Text(data::parse_text(text, "sonnets.txt").expect("text"))
        }
    };
    Trainer::new(&spec, ds).expect("valid job")
}

fn loss_at(t: &Trainer, exec: &Exec, s: &State) -> f64 {
    let mut s = s.clone();
    f64::from(t.step(exec, &mut s, false, None, None).expect("step").loss)
}

fn check(t: &Trainer, picks: usize, eps: f32) {
    let exec = Exec::new(KernelChoice::Auto, 1).expect("exec");
    let mut s0 = t.init_state(false).expect("init");
    // Move away from the tiny initial weights so every gradient is well above f32 noise.
    let n_params = t.model.params().len();
    for (i, (_, p, _)) in s0.tensors.iter_mut().take(n_params).enumerate() {
        let mut noise = vec![0f32; p.len()];
        Philox::new(99, Stream::Init(i as u32)).fill_normal(&mut noise, 0.4);
        for (v, n) in p.data_mut().iter_mut().zip(noise) {
            *v += n;
        }
    }
    let mut s1 = s0.clone();
    t.step(&exec, &mut s1, false, None, None).expect("step");
    let mut worst: f64 = 0.0;
    for p in 0..n_params {
        let len = s0.tensors[p].1.len();
        for j in 0..picks.min(len) {
            let e = (j * 7919 + p * 31) % len;
            let g = f64::from(s0.tensors[p].1.data()[e]) - f64::from(s1.tensors[p].1.data()[e]);
            let mut plus = s0.clone();
            plus.tensors[p].1.data_mut()[e] += eps;
            let mut minus = s0.clone();
            minus.tensors[p].1.data_mut()[e] -= eps;
            let fd =
                (loss_at(t, &exec, &plus) - loss_at(t, &exec, &minus)) / (2.0 * f64::from(eps));
            // Relative 5% plus an absolute floor for f32 loss noise (~1e-5 at this eps).
            let err = (fd - g).abs() / (0.05 * fd.abs().max(g.abs()) + 3e-4);
            assert!(
                err < 1.0,
                "param {} elem {e}: backward {g} vs finite difference {fd}",
                s0.tensors[p].0
            );
            worst = worst.max(err);
        }
    }
    assert!(worst.is_finite());
}

const SGD: &str = r#"
[train]
optimizer = "sgd"
lr = 1.0
momentum = 0.0
batch_size = 4
steps = 1
seed = 3
"#;

#[test]
fn mlp_gradients_match_finite_differences() {
    for (act, task, out) in [("gelu", "classification", 3), ("relu", "regression", 1)] {
        let spec = format!(
            "[model]\nkind = \"mlp\"\nlayers = [4, 6, 5, {out}]\nactivation = \"{act}\"\ntask = \"{task}\"\n\
             [data]\npath = \"iris.csv\"\ntarget = \"species\"\n{SGD}"
        );
        let t = trainer(&spec);
        check(&t, 4, 1e-2);
    }
}

#[test]
fn transformer_gradients_match_finite_differences() {
    let spec = format!(
        "[model]\nkind = \"transformer\"\nd_model = 8\nheads = 2\nlayers = 2\ncontext = 5\n\
         [data]\npath = \"s.txt\"\nformat = \"text\"\n{SGD}"
    );
    let t = trainer(&spec);
    check(&t, 3, 1e-2);
}
