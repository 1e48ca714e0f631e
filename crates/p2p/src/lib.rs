//! verity-p2p: encrypted, authenticated links between Verity nodes and agents.
//!
//! - [`identity`]: the node's ed25519 p2p key file (`p2p.key`, hex seed, mode 0600).
//! - [`peers`]: the registry view (ledger address ↔ p2p key) joined with a peers file
//!   (address → socket), i.e. who the network admits.
//! - [`service`]: the Commonware authenticated `lookup` network (SAKE handshake, ChaCha20-Poly1305
//!   streams) over any runtime implementing Commonware's traits, with the consensus channels the
//!   caller asks for, [`gossip`] of transactions (channel 10) and agent [`messaging`] (channel 11).
//! - [`channels`]: the channel ids.
//!
//! The node starts the service with [`start`] and keeps the [`P2pHandle`].

pub mod channels;
pub mod error;
pub mod gossip;
pub mod identity;
pub mod messaging;
pub mod peers;
pub mod service;

pub use error::P2pError;
pub use messaging::AgentMessage;
pub use peers::{PeerAddr, PeerBook, PeerEntry, PeersFile};
pub use service::{
    ChannelReceiver, ChannelSender, Oracle, P2pConfig, P2pHandle, P2pRuntime, P2pStats, PublicKey,
    Started, TxSink, start,
};
