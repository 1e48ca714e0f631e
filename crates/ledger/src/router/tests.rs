//! router tests.
