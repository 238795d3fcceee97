//! The games a server hosts, each with its maps and its schema: what `GET /api/games`
//! lists and `CreateLobby` chooses from. Each game's schema is read once, from a lobby
//! built on its first map, so a join can be checked against it without building one.

use std::sync::Arc;

use serde::Serialize;
use tickwire_protocol::Schema;

use crate::lobby::{Game, Lobby, LobbySettings};
use crate::maps::{GameMaps, MapCatalog, MapError};

/// One hosted game.
pub struct GameEntry {
    pub game: Arc<dyn Game>,
    pub maps: GameMaps,
    pub schema: Arc<Schema>,
    pub schema_hash: u64,
}

/// What `GET /api/games` shows of a game.
#[derive(Debug, Clone, Serialize)]
pub struct GameListing {
    pub name: String,
    pub title: String,
    pub description: String,
    pub maps: Vec<String>,
    pub default_map: String,
}

pub struct GameCatalog {
    games: Vec<GameEntry>,
}

impl GameCatalog {
    /// The `games` (the first is the default) with their maps from `maps`. Every map must
    /// name a hosted game and pass its check; every game needs a map.
    pub fn new(games: Vec<Arc<dyn Game>>, maps: &MapCatalog) -> Result<Self, MapError> {
        let invalid = |name: &str, message: String| MapError::Invalid {
            name: name.to_owned(),
            message,
        };
        for map in maps.iter() {
            let game = games
                .iter()
                .find(|g| g.name() == map.game)
                .ok_or_else(|| invalid(&map.name, format!("no game named {:?}", map.game)))?;
            game.check_map(map).map_err(|m| invalid(&map.name, m))?;
        }
        let mut entries: Vec<GameEntry> = Vec::new();
        for game in games {
            if entries.iter().any(|e| e.game.name() == game.name()) {
                return Err(invalid(game.name(), "two games of this name".into()));
            }
            let game_maps = maps.for_game(game.name());
            if game_maps.is_empty() {
                return Err(invalid(game.name(), "no map for this game".into()));
            }
            // Every map must build, and give the one schema clients are checked against.
            let mut schema: Option<Arc<Schema>> = None;
            for map in game_maps.values() {
                let probe = Lobby::new(LobbySettings::probe(game.clone(), map.clone()))
                    .map_err(|e| invalid(&map.name, e.to_string()))?;
                let built = probe.schema().clone();
                if schema.as_ref().is_some_and(|s| s.hash() != built.hash()) {
                    return Err(invalid(
                        &map.name,
                        format!(
                            "{} builds another schema on this map than on its first; a game's schema may not depend on the map",
                            game.name()
                        ),
                    ));
                }
                schema = Some(built);
            }
            let Some(schema) = schema else {
                return Err(invalid(game.name(), "no map for this game".into()));
            };
            entries.push(GameEntry {
                schema_hash: schema.hash(),
                schema,
                game,
                maps: game_maps,
            });
        }
        Ok(Self { games: entries })
    }

    pub fn get(&self, name: &str) -> Option<&GameEntry> {
        self.games.iter().find(|g| g.game.name() == name)
    }

    /// The game `QuickJoin` with an empty name plays.
    pub fn default_game(&self) -> Option<&GameEntry> {
        self.games.first()
    }

    pub fn listings(&self) -> Vec<GameListing> {
        self.games
            .iter()
            .map(|g| GameListing {
                name: g.game.name().to_owned(),
                title: g.game.title().to_owned(),
                description: g.game.description().to_owned(),
                maps: g.maps.keys().cloned().collect(),
                default_map: g.maps.keys().next().cloned().unwrap_or_default(),
            })
            .collect()
    }
}
