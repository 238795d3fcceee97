//! Maps: the JSON files under `assets/maps/` (world units) and their loaded form (subunits).
//! A map names the game it is for; the engine reads its size, walls and spawn points, and
//! the game reads its `rules`. The format is documented in `assets/maps/README.md`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use glam::IVec2;
use serde::Deserialize;
use serde::Serialize;
use tickwire_protocol::movement::{Aabb, Arena};
use tickwire_protocol::world::SUBUNITS_PER_UNIT;

/// The maps compiled into the binary, so a fresh `cargo run` needs no files beside it.
#[derive(rust_embed::Embed)]
#[folder = "../assets/maps/"]
#[include = "*.json"]
struct Embedded;

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("map {name}: {message}")]
    Invalid { name: String, message: String },
    #[error("no maps found")]
    NoMaps,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    name: String,
    game: String,
    width: i32,
    height: i32,
    #[serde(default)]
    walls: Vec<[i32; 4]>,
    spawns: Vec<[i32; 2]>,
    /// The game's own rules for this map; the game checks them.
    #[serde(default)]
    rules: serde_json::Value,
}

/// A loaded map, in subunits.
#[derive(Debug)]
pub struct GameMap {
    pub name: String,
    /// The game this map is for.
    pub game: String,
    pub arena: Arena,
    pub spawns: Vec<IVec2>,
    /// The game's rules, as written in the file (world units).
    pub rules: serde_json::Value,
}

/// What a client needs of a map to draw it and to predict movement (subunits).
#[derive(Debug, Clone, Serialize)]
pub struct MapView {
    pub name: String,
    pub width: i32,
    pub height: i32,
    pub walls: Vec<Aabb>,
}

impl GameMap {
    pub fn parse(json: &str) -> Result<Self, MapError> {
        let file: MapFile = serde_json::from_str(json).map_err(|e| MapError::Invalid {
            name: "?".into(),
            message: e.to_string(),
        })?;
        let bad = |message: &str| MapError::Invalid {
            name: file.name.clone(),
            message: message.into(),
        };
        if file.name.is_empty()
            || file.width < 64
            || file.height < 64
            || file.width > 100_000
            || file.height > 100_000
        {
            return Err(bad(
                "name must be set and the arena between 64 and 100000 units a side",
            ));
        }
        if file.spawns.is_empty() {
            return Err(bad("at least one spawn point is needed"));
        }
        let s = SUBUNITS_PER_UNIT;
        let walls: Vec<Aabb> = file
            .walls
            .iter()
            .map(|w| Aabb {
                min: IVec2::new(w[0], w[1]) * s,
                max: IVec2::new(w[2], w[3]) * s,
            })
            .collect();
        if walls
            .iter()
            .any(|w| w.min.x >= w.max.x || w.min.y >= w.max.y)
        {
            return Err(bad("every wall needs min < max on both axes"));
        }
        let size = IVec2::new(file.width, file.height) * s;
        let spawns: Vec<IVec2> = file
            .spawns
            .iter()
            .map(|p| IVec2::new(p[0], p[1]) * s)
            .collect();
        Ok(Self {
            name: file.name,
            game: file.game,
            arena: Arena { size, walls },
            spawns,
            rules: file.rules,
        })
    }

    /// Whether a box of half side `half` at every spawn point is inside the arena and clear
    /// of walls; the game calls it with its player size.
    pub fn check_spawns(&self, half: i32) -> Result<(), String> {
        let size = self.arena.size;
        let inside =
            |p: IVec2| p.x >= half && p.y >= half && p.x <= size.x - half && p.y <= size.y - half;
        let clear = |p: IVec2| {
            !self.arena.walls.iter().any(|w| {
                p.x - half < w.max.x
                    && p.x + half > w.min.x
                    && p.y - half < w.max.y
                    && p.y + half > w.min.y
            })
        };
        match self.spawns.iter().find(|p| !inside(**p) || !clear(**p)) {
            Some(p) => Err(format!(
                "spawn point {:?} is outside the arena or inside a wall",
                *p / SUBUNITS_PER_UNIT
            )),
            None => Ok(()),
        }
    }

    /// The game's rules, read as `T`.
    pub fn rules<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_value(self.rules.clone()).map_err(|e| format!("rules: {e}"))
    }

    /// What clients need of the map (sent in the game's client config).
    pub fn view(&self) -> MapView {
        MapView {
            name: self.name.clone(),
            width: self.arena.size.x,
            height: self.arena.size.y,
            walls: self.arena.walls.clone(),
        }
    }
}

/// Every map the server can host, by name.
#[derive(Debug, Default)]
pub struct MapCatalog {
    maps: BTreeMap<String, Arc<GameMap>>,
}

/// Maps of one game, sorted by name.
pub type GameMaps = BTreeMap<String, Arc<GameMap>>;

impl MapCatalog {
    /// The maps built into the binary.
    pub fn embedded() -> Result<Self, MapError> {
        Self::from_sources(Embedded::iter().map(|path| {
            let text = Embedded::get(&path)
                .map(|f| String::from_utf8_lossy(&f.data).into_owned())
                .unwrap_or_default();
            (path.into_owned(), text)
        }))
    }

    /// The `*.json` maps of a directory.
    pub fn from_dir(dir: &Path) -> Result<Self, MapError> {
        let io = |e| MapError::Io {
            path: dir.display().to_string(),
            source: e,
        };
        let mut sources = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read_to_string(&path).map_err(|e| MapError::Io {
                    path: path.display().to_string(),
                    source: e,
                })?;
                sources.push((path.display().to_string(), text));
            }
        }
        Self::from_sources(sources.into_iter())
    }

    fn from_sources(sources: impl Iterator<Item = (String, String)>) -> Result<Self, MapError> {
        let mut maps = BTreeMap::new();
        for (origin, text) in sources {
            let map = GameMap::parse(&text).map_err(|e| match e {
                MapError::Invalid { name, message } => MapError::Invalid {
                    name: format!("{name} ({origin})"),
                    message,
                },
                other => other,
            })?;
            if maps.contains_key(&map.name) {
                return Err(MapError::Invalid {
                    name: format!("{} ({origin})", map.name),
                    message: "another map has this name".into(),
                });
            }
            maps.insert(map.name.clone(), Arc::new(map));
        }
        if maps.is_empty() {
            return Err(MapError::NoMaps);
        }
        Ok(Self { maps })
    }

    pub fn get(&self, name: &str) -> Option<Arc<GameMap>> {
        self.maps.get(name).cloned()
    }

    /// The maps of game `game`.
    pub fn for_game(&self, game: &str) -> GameMaps {
        self.maps
            .iter()
            .filter(|(_, m)| m.game == game)
            .map(|(n, m)| (n.clone(), m.clone()))
            .collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<GameMap>> {
        self.maps.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_maps_load() {
        let catalog = MapCatalog::embedded().expect("embedded maps are valid");
        let arena = catalog.get("arena").expect("arena ships");
        assert!(!arena.arena.walls.is_empty());
        assert!(arena.spawns.len() >= 8);
        assert_eq!(arena.game, "arena");
    }

    #[test]
    fn spawn_inside_a_wall_is_refused() {
        let json = r#"{"name":"x","game":"g","width":200,"height":200,"walls":[[50,50,150,150]],"spawns":[[100,100]]}"#;
        let map = GameMap::parse(json).expect("parses");
        let err = map.check_spawns(8 * 16).expect_err("spawn in wall");
        assert!(err.contains("inside a wall"), "{err}");
    }
}
