//! The Verity ledger (being built).
