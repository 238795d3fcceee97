//! Building blocks the engine offers games, naming none: a top-down moving body with the
//! shared movement step.

pub mod mover;
