//! The `identity` module: actors (human, model, agent, provider, validator) with bounded
//! metadata. An address registers once (`RegisterActor`); it may then replace its metadata
//! (`UpdateActor`). The kind is fixed at registration.

use crate::error::LedgerError;
use crate::receipt::Event;
use crate::state::keys::{self, Reader};
use crate::state::{Exec, Store};
use serde::{Deserialize, Serialize};
use verity_primitives::Address;

/// What kind of participant an actor is. JSON: `"human"`, `"model"`, … EIP-712: `uint8` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person.
    Human,
    /// A model.
    Model,
    /// An autonomous agent.
    Agent,
    /// A compute provider.
    Provider,
    /// A validator (joins the validator set while it has bonded stake).
    Validator,
}

impl ActorKind {
    /// The EIP-712 / state code: human 1, model 2, agent 3, provider 4, validator 5.
    pub fn code(self) -> u8 {
        match self {
            ActorKind::Human => 1,
            ActorKind::Model => 2,
            ActorKind::Agent => 3,
            ActorKind::Provider => 4,
            ActorKind::Validator => 5,
        }
    }

    /// Inverse of [`ActorKind::code`].
    pub fn from_code(c: u8) -> Option<ActorKind> {
        Some(match c {
            1 => ActorKind::Human,
            2 => ActorKind::Model,
            3 => ActorKind::Agent,
            4 => ActorKind::Provider,
            5 => ActorKind::Validator,
            _ => return None,
        })
    }
}

impl std::str::FromStr for ActorKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "human" => ActorKind::Human,
            "model" => ActorKind::Model,
            "agent" => ActorKind::Agent,
            "provider" => ActorKind::Provider,
            "validator" => ActorKind::Validator,
            _ => {
                return Err(format!(
                    "unknown actor kind {s:?}: use human, model, agent, provider or validator"
                ));
            }
        })
    }
}

/// A registered actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Kind.
    pub kind: ActorKind,
    /// Free-form metadata (at most `params.max_metadata_bytes`).
    pub metadata: String,
    /// Height of the block that registered it.
    pub registered_at: u64,
}

impl Actor {
    /// Layout: kind u8 ‖ registered_at u64 ‖ metadata (u32-prefixed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(13 + self.metadata.len());
        out.push(self.kind.code());
        out.extend_from_slice(&self.registered_at.to_be_bytes());
        keys::put_string(&mut out, &self.metadata);
        out
    }

    /// Inverse of [`Actor::encode`].
    pub fn decode(v: &[u8]) -> Result<Actor, LedgerError> {
        let mut r = Reader::new(v, "actor");
        let kind = ActorKind::from_code(r.u8()?)
            .ok_or_else(|| LedgerError::Corrupt("actor kind".into()))?;
        let registered_at = r.u64()?;
        let metadata = r.string()?;
        r.finish()?;
        Ok(Actor {
            kind,
            metadata,
            registered_at,
        })
    }
}

/// The actor record of `a`, if any.
pub fn actor(s: &impl Store, a: &Address) -> Result<Option<Actor>, LedgerError> {
    s.get(&keys::addr_key(keys::ACTOR, a))
        .map(Actor::decode)
        .transpose()
}

fn check_len(ex: &Exec<'_>, metadata: &str) -> Result<(), LedgerError> {
    let max = ex.state().params().max_metadata_bytes as usize;
    if metadata.len() > max {
        return Err(LedgerError::MetadataTooLong {
            len: metadata.len(),
            max,
        });
    }
    Ok(())
}

/// RegisterActor handler.
pub(crate) fn register(
    ex: &mut Exec<'_>,
    sender: &Address,
    kind: ActorKind,
    metadata: &str,
) -> Result<(), LedgerError> {
    check_len(ex, metadata)?;
    if actor(ex, sender)?.is_some() {
        return Err(LedgerError::AlreadyRegistered(*sender));
    }
    let rec = Actor {
        kind,
        metadata: metadata.to_string(),
        registered_at: ex.height,
    };
    ex.put(&keys::addr_key(keys::ACTOR, sender), Some(rec.encode()));
    ex.emit(Event::ActorRegistered {
        actor: *sender,
        kind,
    });
    Ok(())
}

/// UpdateActor handler.
pub(crate) fn update(
    ex: &mut Exec<'_>,
    sender: &Address,
    metadata: &str,
) -> Result<(), LedgerError> {
    check_len(ex, metadata)?;
    let mut rec = actor(ex, sender)?.ok_or(LedgerError::NotRegistered(*sender))?;
    rec.metadata = metadata.to_string();
    ex.put(&keys::addr_key(keys::ACTOR, sender), Some(rec.encode()));
    ex.emit(Event::ActorUpdated { actor: *sender });
    Ok(())
}
