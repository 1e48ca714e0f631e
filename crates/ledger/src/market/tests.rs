//! Unit tests of the market module.
