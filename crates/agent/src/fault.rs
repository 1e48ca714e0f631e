//! **Fault injection — for tests and demos only.** A [`FaultInjection`] makes a provider flip
//! one bit of one op's output while it runs a job, so the trace it commits is wrong from that op
//! on and an honest verifier can catch it and win the dispute. Never set it on a real provider:
//! the provider will be slashed. Every event a faulty run emits says "FAULT INJECTION (test)".

use serde::{Deserialize, Serialize};
use verity_ree::trace::LeafInfo;
use verity_ree::train::recorder::BitFlip;

/// The bit flipped in the op's first output (a low mantissa bit: the value stays finite).
pub const FLIPPED_BIT: u32 = 3;

/// Which op to corrupt: op number `op` (counting only op leaves, 0-based) of step `step`.
/// Both are taken modulo the job's step and op counts, so any pair names a real op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultInjection {
    /// Step index.
    pub step: u64,
    /// Op index within the step (op leaves only).
    pub op: u64,
}

impl FaultInjection {
    /// Parse `STEP:OP` (the CLI's `--inject-fault` value).
    pub fn parse(text: &str) -> Result<FaultInjection, crate::AgentError> {
        let bad = || {
            crate::AgentError::Config(format!(
                "fault injection `{text}` is not STEP:OP (two non-negative integers)"
            ))
        };
        let (s, o) = text.split_once(':').ok_or_else(bad)?;
        Ok(FaultInjection {
            step: s.trim().parse().map_err(|_| bad())?,
            op: o.trim().parse().map_err(|_| bad())?,
        })
    }

    /// The engine-level bit flip for a job of `steps` steps with leaf `layout`, or `None` when
    /// the layout has no op leaf.
    pub fn bit_flip(&self, steps: u64, layout: &[LeafInfo]) -> Option<BitFlip> {
        let ops: Vec<usize> = layout
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l, LeafInfo::Op(_)))
            .map(|(i, _)| i)
            .collect();
        if ops.is_empty() || steps == 0 {
            return None;
        }
        let k = usize::try_from(self.op % ops.len() as u64).expect("below a usize length");
        Some(BitFlip {
            step: self.step % steps,
            leaf: ops[k],
            element: 0,
            bit: FLIPPED_BIT,
        })
    }
}

impl std::fmt::Display for FaultInjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.step, self.op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verity_ree::trace::OpRecord;

    fn layout() -> Vec<LeafInfo> {
        let op = |n: &str| {
            LeafInfo::Op(OpRecord {
                name: n.into(),
                inputs: vec![],
            })
        };
        vec![
            LeafInfo::Input("w".into()),
            op("a"),
            op("b"),
            LeafInfo::State,
        ]
    }

    #[test]
    fn parse_and_map_modulo() {
        let f = FaultInjection::parse("7:3").unwrap();
        assert_eq!(f, FaultInjection { step: 7, op: 3 });
        assert_eq!(f.to_string(), "7:3");
        let b = f.bit_flip(5, &layout()).unwrap();
        assert_eq!((b.step, b.leaf), (2, 2));
        assert!(FaultInjection::parse("7").is_err());
        assert!(FaultInjection::parse("a:1").is_err());
        assert!(f.bit_flip(5, &[LeafInfo::State]).is_none());
    }
}
