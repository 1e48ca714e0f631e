//! The char-level decoder-only transformer LM (pre-layer-norm GPT style, no dropout).
//!
//! Parameters (in order): `wte [V, D]`, `wpe [T, D]` (`N(0, 0.02²)`); per block `h{i}`:
//! `ln1.g/.b [D]`, `attn.wq/.wk/.wv [D, D]` (`N(0, 0.02²)`), `attn.wo [D, D]`
//! (`N(0, (0.02/√(2L))²)`), `ln2.g/.b`, `mlp.w1 [D, F]`, `mlp.b1 [F]`, `mlp.w2 [F, D]`
//! (`N(0, (0.02/√(2L))²)`), `mlp.b2 [D]`; then `lnf.g/.b`, `head [D, V]`.
//!
//! Forward per step: `h = Embedding(wte, x) + Embedding(wpe, pos)`; per block
//! `h += Wo·Attention(LN1(h)·Wq, LN1(h)·Wk, LN1(h)·Wv)`, `h += W2·gelu(LN2(h)·W1 + b1) + b2`;
//! `logits = LNf(h)·head`; loss = mean cross-entropy against the next char. Backward mirrors it
//! in reverse with each op's backward op; residual gradients join with `Add`.

use crate::ReeError;
use crate::model::{Batch, Init, ParamSpec, Pass, one, scalar_of};
use crate::ops::Op;
use crate::train::recorder::{Recorder, Val};

/// The transformer's shape.
#[derive(Clone, Debug, PartialEq)]
pub struct Transformer {
    /// Vocabulary size (from the data).
    pub vocab: usize,
    /// Residual width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Blocks.
    pub layers: usize,
    /// Context length.
    pub context: usize,
    /// MLP hidden width.
    pub d_ff: usize,
    /// Sequences per batch.
    pub batch: usize,
}

const MM: Op = Op::MatMul {
    trans_a: false,
    trans_b: false,
};
const MM_TA: Op = Op::MatMul {
    trans_a: true,
    trans_b: false,
};
const MM_TB: Op = Op::MatMul {
    trans_a: false,
    trans_b: true,
};
const LN_EPS: f32 = 1e-5;
/// Parameters per block.
const PER_BLOCK: usize = 12;

struct BlockCache {
    h_in: Val,
    n1: Val,
    m1: Val,
    r1: Val,
    q: Val,
    k: Val,
    v: Val,
    att: Val,
    h_mid: Val,
    n2: Val,
    m2: Val,
    r2: Val,
    f1b: Val,
    a: Val,
}

impl Transformer {
    /// Parameter layout.
    pub fn params(&self) -> Vec<ParamSpec> {
        let (d, f, v, t) = (self.d_model, self.d_ff, self.vocab, self.context);
        let std = 0.02f32;
        let proj = std / libm::sqrtf(2.0 * self.layers as f32);
        let p = |name: String, shape: Vec<usize>, init: Init| ParamSpec { name, shape, init };
        let mut out = vec![
            p("wte".into(), vec![v, d], Init::Normal(std)),
            p("wpe".into(), vec![t, d], Init::Normal(std)),
        ];
        for i in 0..self.layers {
            let n = |s: &str| format!("h{i}.{s}");
            out.extend([
                p(n("ln1.g"), vec![d], Init::Ones),
                p(n("ln1.b"), vec![d], Init::Zeros),
                p(n("attn.wq"), vec![d, d], Init::Normal(std)),
                p(n("attn.wk"), vec![d, d], Init::Normal(std)),
                p(n("attn.wv"), vec![d, d], Init::Normal(std)),
                p(n("attn.wo"), vec![d, d], Init::Normal(proj)),
                p(n("ln2.g"), vec![d], Init::Ones),
                p(n("ln2.b"), vec![d], Init::Zeros),
                p(n("mlp.w1"), vec![d, f], Init::Normal(std)),
                p(n("mlp.b1"), vec![f], Init::Zeros),
                p(n("mlp.w2"), vec![f, d], Init::Normal(proj)),
                p(n("mlp.b2"), vec![d], Init::Zeros),
            ]);
        }
        out.extend([
            p("lnf.g".into(), vec![d], Init::Ones),
            p("lnf.b".into(), vec![d], Init::Zeros),
            p("head".into(), vec![d, v], Init::Normal(std)),
        ]);
        out
    }

    fn attn(&self) -> (usize, usize, usize) {
        (self.batch, self.context, self.heads)
    }

    /// Record one forward + loss + backward pass.
    pub fn forward_backward(
        &self,
        rec: &mut Recorder<'_>,
        params: &[Val],
        batch: Batch,
    ) -> Result<Pass, ReeError> {
        let dloss = one(rec)?;
        let x = rec.input("batch.x", batch.x, None)?;
        let y = rec.input("batch.y", batch.y, None)?;
        let pos_t = batch.pos.ok_or_else(|| ReeError::Spec {
            field: "model.kind".into(),
            message: "the transformer needs position ids in its batch".into(),
        })?;
        let pos = rec.input("batch.pos", pos_t, None)?;
        let (batch_n, seq, heads) = self.attn();
        let ln = Op::LayerNorm { eps: LN_EPS };
        let att_op = Op::Attention {
            batch: batch_n,
            seq,
            heads,
        };
        let fin = 2 + PER_BLOCK * self.layers;

        // Forward.
        let tok = rec.op1(Op::Embedding, &[&params[0], &x])?;
        let pe = rec.op1(Op::Embedding, &[&params[1], &pos])?;
        let mut h = rec.op1(Op::Add, &[&tok, &pe])?;
        let mut caches = Vec::with_capacity(self.layers);
        for i in 0..self.layers {
            let p = &params[2 + PER_BLOCK * i..2 + PER_BLOCK * (i + 1)];
            let mut o = rec.op(ln.clone(), &[&h, &p[0], &p[1]])?.into_iter();
            let (n1, m1, r1) = three(&mut o);
            let q = rec.op1(MM, &[&n1, &p[2]])?;
            let k = rec.op1(MM, &[&n1, &p[3]])?;
            let v = rec.op1(MM, &[&n1, &p[4]])?;
            let att = rec.op1(att_op.clone(), &[&q, &k, &v])?;
            let o_proj = rec.op1(MM, &[&att, &p[5]])?;
            let h_mid = rec.op1(Op::Add, &[&h, &o_proj])?;
            let mut o = rec.op(ln.clone(), &[&h_mid, &p[6], &p[7]])?.into_iter();
            let (n2, m2, r2) = three(&mut o);
            let f1 = rec.op1(MM, &[&n2, &p[8]])?;
            let f1b = rec.op1(Op::BiasAdd, &[&f1, &p[9]])?;
            let a = rec.op1(Op::Gelu, &[&f1b])?;
            let f2 = rec.op1(MM, &[&a, &p[10]])?;
            let f2b = rec.op1(Op::BiasAdd, &[&f2, &p[11]])?;
            let h_out = rec.op1(Op::Add, &[&h_mid, &f2b])?;
            caches.push(BlockCache {
                h_in: h,
                n1,
                m1,
                r1,
                q,
                k,
                v,
                att,
                h_mid,
                n2,
                m2,
                r2,
                f1b,
                a,
            });
            h = h_out;
        }
        let mut o = rec
            .op(ln.clone(), &[&h, &params[fin], &params[fin + 1]])?
            .into_iter();
        let (nf, mf, rf) = three(&mut o);
        let logits = rec.op1(MM, &[&nf, &params[fin + 2]])?;
        let loss = rec.op1(Op::CrossEntropy, &[&logits, &y])?;

        // Backward.
        let mut grads: Vec<Option<Val>> = vec![None; params.len()];
        let dlogits = rec.op1(Op::CrossEntropyBackward, &[&logits, &y, &dloss])?;
        grads[fin + 2] = Some(rec.op1(MM_TA, &[&nf, &dlogits])?);
        let dnf = rec.op1(MM_TB, &[&dlogits, &params[fin + 2]])?;
        let mut o = rec
            .op(Op::LayerNormBackward, &[&dnf, &h, &params[fin], &mf, &rf])?
            .into_iter();
        let (mut dh, dgf, dbf) = three(&mut o);
        grads[fin] = Some(dgf);
        grads[fin + 1] = Some(dbf);
        for i in (0..self.layers).rev() {
            let base = 2 + PER_BLOCK * i;
            let p = &params[base..base + PER_BLOCK];
            let c = &caches[i];
            // h_out = h_mid + (a·W2 + b2)
            grads[base + 11] = Some(rec.op1(Op::BiasGrad, &[&dh])?);
            grads[base + 10] = Some(rec.op1(MM_TA, &[&c.a, &dh])?);
            let da = rec.op1(MM_TB, &[&dh, &p[10]])?;
            let df1b = rec.op1(Op::GeluBackward, &[&da, &c.f1b])?;
            grads[base + 9] = Some(rec.op1(Op::BiasGrad, &[&df1b])?);
            grads[base + 8] = Some(rec.op1(MM_TA, &[&c.n2, &df1b])?);
            let dn2 = rec.op1(MM_TB, &[&df1b, &p[8]])?;
            let mut o = rec
                .op(
                    Op::LayerNormBackward,
                    &[&dn2, &c.h_mid, &p[6], &c.m2, &c.r2],
                )?
                .into_iter();
            let (dhm, dg2, db2) = three(&mut o);
            grads[base + 6] = Some(dg2);
            grads[base + 7] = Some(db2);
            let dh_mid = rec.op1(Op::Add, &[&dh, &dhm])?;
            // h_mid = h_in + att·Wo
            grads[base + 5] = Some(rec.op1(MM_TA, &[&c.att, &dh_mid])?);
            let datt = rec.op1(MM_TB, &[&dh_mid, &p[5]])?;
            let mut o = rec
                .op(
                    Op::AttentionBackward {
                        batch: batch_n,
                        seq,
                        heads,
                    },
                    &[&datt, &c.q, &c.k, &c.v],
                )?
                .into_iter();
            let (dq, dk, dv) = three(&mut o);
            grads[base + 2] = Some(rec.op1(MM_TA, &[&c.n1, &dq])?);
            grads[base + 3] = Some(rec.op1(MM_TA, &[&c.n1, &dk])?);
            grads[base + 4] = Some(rec.op1(MM_TA, &[&c.n1, &dv])?);
            let dnq = rec.op1(MM_TB, &[&dq, &p[2]])?;
            let dnk = rec.op1(MM_TB, &[&dk, &p[3]])?;
            let dnv = rec.op1(MM_TB, &[&dv, &p[4]])?;
            let dn1 = rec.op1(Op::Add, &[&dnq, &dnk])?;
            let dn1 = rec.op1(Op::Add, &[&dn1, &dnv])?;
            let mut o = rec
                .op(Op::LayerNormBackward, &[&dn1, &c.h_in, &p[0], &c.m1, &c.r1])?
                .into_iter();
            let (dhi, dg1, db1) = three(&mut o);
            grads[base] = Some(dg1);
            grads[base + 1] = Some(db1);
            dh = rec.op1(Op::Add, &[&dh_mid, &dhi])?;
        }
        grads[0] = Some(rec.op1(Op::EmbeddingBackward { vocab: self.vocab }, &[&dh, &x])?);
        grads[1] = Some(rec.op1(
            Op::EmbeddingBackward {
                vocab: self.context,
            },
            &[&dh, &pos],
        )?);
        Ok(Pass {
            loss: scalar_of(&loss),
            grads: grads
                .into_iter()
                .map(|g| g.expect("every parameter gets its gradient above"))
                .collect(),
        })
    }
}

fn three(o: &mut impl Iterator<Item = Val>) -> (Val, Val, Val) {
    let a = o.next().expect("op declared three outputs");
    let b = o.next().expect("op declared three outputs");
    let c = o.next().expect("op declared three outputs");
    (a, b, c)
}
