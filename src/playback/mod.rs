//! The replay clock as a pure state machine.
