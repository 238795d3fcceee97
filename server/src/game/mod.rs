//! Game content: maps and their rules.

pub mod map;

pub use map::{GameMap, MapCatalog, MapError};
