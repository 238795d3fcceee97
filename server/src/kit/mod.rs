//! Building blocks the engine offers games, naming none: a top-down moving body with the
//! shared movement step, and a view rectangle read from a map's rules.

pub mod mover;
pub mod view;
