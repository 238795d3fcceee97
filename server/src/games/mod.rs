//! The games built into the server, each in a folder of its own and written only against
//! the public game API (`crate::lobby::game`), like any game a developer adds.

pub mod arena;
pub mod shooter;
pub mod tag;

use std::sync::Arc;

use crate::lobby::Game;

/// Every built-in game; the first is the default.
pub fn built_in() -> Vec<Arc<dyn Game>> {
    vec![
        Arc::new(arena::Arena),
        Arc::new(tag::Tag),
        Arc::new(shooter::Shooter),
    ]
}
