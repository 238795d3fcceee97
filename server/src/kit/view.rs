//! A view rectangle in a map's rules, for games that turn on interest management: the
//! screen around a player, in world units, as a map author writes it.

use glam::IVec2;
use serde::Deserialize;
use tickwire_protocol::SUBUNITS_PER_UNIT;

use super::mover::Body;
use crate::lobby::interest::{Interest, Spatial};

/// `"view": {"width": 1280, "height": 720, "margin": 200, "hysteresis": 150}` in a map's
/// rules: what a client sees around its player, in world units.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ViewRules {
    pub width: i32,
    pub height: i32,
    /// Sent this far beyond the view already.
    pub margin: i32,
    /// Kept this much further before it is let go.
    pub hysteresis: i32,
}

impl ViewRules {
    pub fn check(&self) -> Result<(), String> {
        let sizes = [self.width, self.height];
        if sizes.iter().any(|s| !(1..=1_000_000).contains(s)) {
            return Err("view width and height must be 1 to 1000000 units".into());
        }
        if self.margin < 0 || self.hysteresis < 0 || self.margin.max(self.hysteresis) > 1_000_000 {
            return Err("view margin and hysteresis must be 0 to 1000000 units".into());
        }
        Ok(())
    }

    /// The engine's rule, in subunits.
    pub fn interest(&self) -> Interest {
        Interest {
            half_view: IVec2::new(self.width, self.height) * SUBUNITS_PER_UNIT / 2,
            margin: self.margin * SUBUNITS_PER_UNIT,
            hysteresis: self.hysteresis * SUBUNITS_PER_UNIT,
        }
    }
}

impl Spatial for Body {
    fn point(&self) -> IVec2 {
        self.pos()
    }

    /// Moving bodies first: a still one the client extrapolates exactly costs nothing when
    /// it is left out, a moving one drifts.
    fn weight(&self) -> f32 {
        if self.vx == 0 && self.vy == 0 {
            1.0
        } else {
            2.0
        }
    }
}
