//! Agent messaging (channel [`crate::channels::AGENT_MESSAGES`]): direct messages between agents
//! addressed by ledger address. The link is authenticated and encrypted by the p2p layer; the
//! sender is the ledger address that registered the authenticated p2p key (never a claim in the
//! message), so a message from an unregistered key is refused.
//!
//! Delivery is reliable and in order per (sender, recipient): each sending node numbers its
//! messages to one recipient 0, 1, 2, … within a session (a random id per start), keeps them in a
//! bounded [`Outbox`] and resends the unacknowledged ones until the recipient acknowledges them
//! cumulatively; the recipient's [`ReceiveState`] delivers only the next expected number (a
//! duplicate is acknowledged again, a gap waits for the resend). Each recipient has a bounded
//! inbox: when it is full the message is not acknowledged, so the sender retries later.
//!
//! Every data message also carries the sender's oldest unacknowledged seq (`base`), so a receiver
//! that has no position for that sender session (new sender session, or the receiver restarted)
//! starts there and never skips a message.
//!
//! Wire format: `0 ‖ to: 20 bytes ‖ session: u64 BE ‖ base: u64 BE ‖ seq: u64 BE ‖ body` (data) or
//! `1 ‖ session: u64 BE ‖ next: u64 BE` (ack: every seq below `next` of that session arrived).

use std::collections::{BTreeMap, VecDeque};

use commonware_cryptography::ed25519;
use serde::{Deserialize, Serialize};
use verity_primitives::Address;

use crate::error::P2pError;
use crate::peers::PeerBook;

/// Header bytes before a data message's body.
pub const HEADER_LEN: usize = 1 + 20 + 8 + 8 + 8;

/// A delivered agent message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentMessage {
    /// The sender's ledger address (from its authenticated, registered p2p key).
    pub from: Address,
    /// The recipient's ledger address.
    pub to: Address,
    /// The sender's sequence number towards this recipient (0, 1, 2, … per sender session).
    pub seq: u64,
    /// The payload.
    pub body: Vec<u8>,
}

/// A decoded wire message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// A message for `to`.
    Data {
        /// Recipient.
        to: Address,
        /// Sender's session.
        session: u64,
        /// The sender's oldest unacknowledged seq towards `to`.
        base: u64,
        /// Sequence number in that session towards `to`.
        seq: u64,
        /// Payload.
        body: Vec<u8>,
    },
    /// Every seq below `next` of `session` arrived.
    Ack {
        /// The acknowledged sender session.
        session: u64,
        /// First seq not yet delivered.
        next: u64,
    },
}

/// Encode a data message.
pub fn encode(to: &Address, session: u64, base: u64, seq: u64, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + body.len());
    out.push(0);
    out.extend_from_slice(&to.0);
    out.extend_from_slice(&session.to_be_bytes());
    out.extend_from_slice(&base.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Encode an acknowledgement.
pub fn encode_ack(session: u64, next: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(17);
    out.push(1);
    out.extend_from_slice(&session.to_be_bytes());
    out.extend_from_slice(&next.to_be_bytes());
    out
}

fn be(b: &[u8]) -> u64 {
    u64::from_be_bytes(b.try_into().expect("callers pass 8 bytes"))
}

/// Decode a wire message.
pub fn decode(bytes: &[u8]) -> Result<Wire, Refusal> {
    match bytes.first() {
        Some(0) if bytes.len() >= HEADER_LEN => {
            let mut to = [0u8; 20];
            to.copy_from_slice(&bytes[1..21]);
            Ok(Wire::Data {
                to: Address(to),
                session: be(&bytes[21..29]),
                base: be(&bytes[29..37]),
                seq: be(&bytes[37..45]),
                body: bytes[HEADER_LEN..].to_vec(),
            })
        }
        Some(1) if bytes.len() == 17 => Ok(Wire::Ack {
            session: be(&bytes[1..9]),
            next: be(&bytes[9..17]),
        }),
        _ => Err(Refusal::Malformed(bytes.len())),
    }
}

/// Why an incoming message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The authenticated key is not registered on the ledger.
    #[error("sender key is not registered")]
    Unregistered,
    /// The message is for an address this node does not serve.
    #[error("message addressed to {0}, which this node does not serve")]
    NotForUs(Address),
    /// Not a valid wire message.
    #[error("malformed message ({0} bytes)")]
    Malformed(usize),
    /// The recipient's inbox is full.
    #[error("inbox of {0} is full")]
    InboxFull(Address),
}

/// Check a data message received from the authenticated key `from_key`: the key must be
/// registered in `book` and the recipient must be `local`. Returns the sender's session too.
pub fn accept(
    book: &PeerBook,
    local: Option<Address>,
    from_key: &ed25519::PublicKey,
    bytes: &[u8],
) -> Result<(u64, AgentMessage), Refusal> {
    let from = book.address_of(from_key).ok_or(Refusal::Unregistered)?;
    match decode(bytes)? {
        Wire::Data {
            to,
            session,
            seq,
            body,
            ..
        } => {
            if local != Some(to) {
                return Err(Refusal::NotForUs(to));
            }
            Ok((
                session,
                AgentMessage {
                    from,
                    to,
                    seq,
                    body,
                },
            ))
        }
        Wire::Ack { .. } => Err(Refusal::Malformed(bytes.len())),
    }
}

/// What to do with an arriving data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It is the next one: deliver it.
    Deliver,
    /// Already delivered: acknowledge again, drop.
    Duplicate,
    /// An earlier one is missing: drop, the sender resends in order.
    Gap,
}

/// The receiving side's position per sender: (session, next expected seq).
#[derive(Debug, Clone, Default)]
pub struct ReceiveState {
    next: BTreeMap<Address, (u64, u64)>,
}

impl ReceiveState {
    /// Classify `seq` of `session` from `from`. A sender session never seen before starts at
    /// its `base` (the oldest message it has not had acknowledged).
    pub fn verdict(&mut self, from: Address, session: u64, base: u64, seq: u64) -> Verdict {
        let entry = self.next.entry(from).or_insert((session, base));
        if entry.0 != session {
            *entry = (session, base);
        }
        match seq.cmp(&entry.1) {
            std::cmp::Ordering::Equal => Verdict::Deliver,
            std::cmp::Ordering::Less => Verdict::Duplicate,
            std::cmp::Ordering::Greater => Verdict::Gap,
        }
    }

    /// Record that `seq` was delivered (call after [`Verdict::Deliver`] and a successful push).
    pub fn delivered(&mut self, from: Address, session: u64, seq: u64) {
        self.next.insert(from, (session, seq + 1));
    }

    /// The ack to send `from`: (session, next expected).
    pub fn ack(&self, from: &Address) -> Option<(u64, u64)> {
        self.next.get(from).copied()
    }
}

/// One unacknowledged message.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Its seq.
    pub seq: u64,
    /// Its body.
    pub body: Vec<u8>,
}

/// The sending side: per recipient, the next seq and the unacknowledged messages.
#[derive(Debug, Clone)]
pub struct Outbox {
    session: u64,
    cap: usize,
    peers: BTreeMap<Address, (u64, VecDeque<Pending>)>,
}

impl Outbox {
    /// An outbox for `session` holding at most `cap` unacknowledged messages per recipient.
    pub fn new(session: u64, cap: usize) -> Self {
        Self {
            session,
            cap: cap.max(1),
            peers: BTreeMap::new(),
        }
    }

    /// This node's session id.
    pub fn session(&self) -> u64 {
        self.session
    }

    /// Queue `body` for `to`; returns its seq, or `None` when `to`'s queue is full.
    pub fn queue(&mut self, to: Address, body: &[u8]) -> Option<u64> {
        let (next, q) = self.peers.entry(to).or_insert((0, VecDeque::new()));
        if q.len() >= self.cap {
            return None;
        }
        let seq = *next;
        *next += 1;
        q.push_back(Pending {
            seq,
            body: body.to_vec(),
        });
        Some(seq)
    }

    /// The wire bytes of message `seq` to `to` (with the current base), unless already acked.
    pub fn wire(&self, to: &Address, seq: u64) -> Option<Vec<u8>> {
        let (_, q) = self.peers.get(to)?;
        let base = q.front()?.seq;
        let p = q.iter().find(|p| p.seq == seq)?;
        Some(encode(to, self.session, base, p.seq, &p.body))
    }

    /// Apply an ack from `from`; ignores acks of other sessions.
    pub fn ack(&mut self, from: &Address, session: u64, next: u64) {
        if session != self.session {
            return;
        }
        if let Some((_, q)) = self.peers.get_mut(from) {
            while q.front().is_some_and(|p| p.seq < next) {
                q.pop_front();
            }
        }
    }

    /// Wire bytes of the unacknowledged messages per recipient, oldest first (what to resend).
    pub fn unacked(&self) -> Vec<(Address, Vec<Vec<u8>>)> {
        self.peers
            .iter()
            .filter_map(|(a, (_, q))| {
                let base = q.front()?.seq;
                let wires = q
                    .iter()
                    .map(|p| encode(a, self.session, base, p.seq, &p.body))
                    .collect();
                Some((*a, wires))
            })
            .collect()
    }

    /// Unacknowledged messages to `to`.
    pub fn pending(&self, to: &Address) -> usize {
        self.peers.get(to).map_or(0, |(_, q)| q.len())
    }
}

/// Bounded inboxes, one per recipient address.
#[derive(Debug, Clone)]
pub struct Inboxes {
    boxes: BTreeMap<Address, VecDeque<AgentMessage>>,
    cap: usize,
}

impl Inboxes {
    /// Inboxes holding at most `cap` messages each (at least 1).
    pub fn new(cap: usize) -> Self {
        Self {
            boxes: BTreeMap::new(),
            cap: cap.max(1),
        }
    }

    /// Queue a message for its recipient; refused when that inbox is full.
    pub fn push(&mut self, msg: AgentMessage) -> Result<(), Refusal> {
        let q = self.boxes.entry(msg.to).or_default();
        if q.len() >= self.cap {
            return Err(Refusal::InboxFull(msg.to));
        }
        q.push_back(msg);
        Ok(())
    }

    /// Take up to `max` messages for `recipient`, oldest first.
    pub fn take(&mut self, recipient: &Address, max: usize) -> Vec<AgentMessage> {
        let Some(q) = self.boxes.get_mut(recipient) else {
            return Vec::new();
        };
        let n = max.min(q.len());
        q.drain(..n).collect()
    }

    /// Messages waiting for `recipient`.
    pub fn pending(&self, recipient: &Address) -> usize {
        self.boxes.get(recipient).map_or(0, |q| q.len())
    }
}

/// Check a body fits the network's message size.
pub fn check_size(body: &[u8], max_message: usize) -> Result<(), P2pError> {
    let len = body.len() + HEADER_LEN;
    if len > max_message {
        return Err(P2pError::TooLarge {
            len,
            max: max_message,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{from_seed_bytes, public_of};
    use crate::peers::PeerEntry;
    use commonware_cryptography::Signer;

    fn book() -> (PeerBook, ed25519::PublicKey, ed25519::PublicKey) {
        let a = from_seed_bytes([1; 32]);
        let stranger = from_seed_bytes([2; 32]);
        let book = PeerBook::new(vec![PeerEntry {
            address: Address([1; 20]),
            key: public_of(&a),
            socket: None,
        }]);
        (book, a.public_key(), stranger.public_key())
    }

    #[test]
    fn registered_sender_is_named_by_its_ledger_address() {
        let (book, a, _) = book();
        let me = Address([7; 20]);
        let (session, msg) =
            accept(&book, Some(me), &a, &encode(&me, 9, 0, 5, b"hi")).expect("accepted");
        assert_eq!(session, 9);
        assert_eq!(
            msg,
            AgentMessage {
                from: Address([1; 20]),
                to: me,
                seq: 5,
                body: b"hi".to_vec()
            }
        );
    }

    #[test]
    fn unregistered_misaddressed_and_short_messages_are_refused() {
        let (book, a, stranger) = book();
        let me = Address([7; 20]);
        assert_eq!(
            accept(&book, Some(me), &stranger, &encode(&me, 1, 0, 0, b"x")),
            Err(Refusal::Unregistered)
        );
        let other = Address([8; 20]);
        assert_eq!(
            accept(&book, Some(me), &a, &encode(&other, 1, 0, 0, b"x")),
            Err(Refusal::NotForUs(other))
        );
        assert_eq!(
            accept(&book, None, &a, &encode(&me, 1, 0, 0, b"x")),
            Err(Refusal::NotForUs(me))
        );
        assert_eq!(
            accept(&book, Some(me), &a, &[0; 5]),
            Err(Refusal::Malformed(5))
        );
        assert_eq!(
            accept(&book, Some(me), &a, &encode_ack(1, 2)),
            Err(Refusal::Malformed(17))
        );
    }

    #[test]
    fn inboxes_are_bounded_per_recipient_and_fifo() {
        let mut inbox = Inboxes::new(2);
        let m = |to: u8, seq| AgentMessage {
            from: Address([1; 20]),
            to: Address([to; 20]),
            seq,
            body: vec![],
        };
        inbox.push(m(1, 0)).expect("room");
        inbox.push(m(1, 1)).expect("room");
        assert_eq!(
            inbox.push(m(1, 2)),
            Err(Refusal::InboxFull(Address([1; 20])))
        );
        inbox
            .push(m(2, 0))
            .expect("another recipient has its own box");
        let got = inbox.take(&Address([1; 20]), 10);
        assert_eq!(got.iter().map(|m| m.seq).collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(inbox.pending(&Address([1; 20])), 0);
        assert_eq!(inbox.pending(&Address([2; 20])), 1);
    }

    #[test]
    fn receiver_delivers_in_order_and_resyncs_on_a_new_session() {
        let a = Address([1; 20]);
        let mut r = ReceiveState::default();
        assert_eq!(
            r.verdict(a, 1, 2, 3),
            Verdict::Gap,
            "a new session starts at its base"
        );
        assert_eq!(r.verdict(a, 1, 2, 2), Verdict::Deliver);
        r.delivered(a, 1, 2);
        assert_eq!(r.verdict(a, 1, 2, 3), Verdict::Deliver);
        r.delivered(a, 1, 3);
        assert_eq!(r.verdict(a, 1, 3, 3), Verdict::Duplicate);
        assert_eq!(r.verdict(a, 1, 3, 5), Verdict::Gap);
        assert_eq!(r.ack(&a), Some((1, 4)));
        assert_eq!(r.verdict(a, 2, 0, 0), Verdict::Deliver, "sender restarted");
    }

    #[test]
    fn outbox_keeps_unacked_in_order_and_is_bounded() {
        let b = Address([2; 20]);
        let mut o = Outbox::new(7, 3);
        for n in 0..3 {
            assert_eq!(o.queue(b, b"x").expect("room"), n);
        }
        assert!(o.queue(b, b"x").is_none(), "bounded");
        o.ack(&b, 6, 3);
        assert_eq!(o.pending(&b), 3, "another session's ack is ignored");
        o.ack(&b, 7, 2);
        assert_eq!(o.pending(&b), 1);
        let un = o.unacked();
        assert_eq!(un[0].1.len(), 1);
        assert_eq!(o.wire(&b, 1), None, "acked");
        assert_eq!(o.wire(&b, 2).as_ref(), Some(&un[0].1[0]));
        assert_eq!(
            decode(&un[0].1[0]).expect("wire"),
            Wire::Data {
                to: b,
                session: 7,
                base: 2,
                seq: 2,
                body: b"x".to_vec()
            }
        );
        assert_eq!(
            decode(&encode_ack(7, 3)),
            Ok(Wire::Ack {
                session: 7,
                next: 3
            })
        );
    }
}
