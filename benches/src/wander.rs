//! Bot movement: always moving at full stick deflection, turning to a new random direction
//! about once a second. Seeded, so every run of a scenario sends the same inputs.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tickwire_protocol::InputValues;

/// The eight compass directions at full deflection.
const DIRECTIONS: [(i32, i32); 8] = [
    (127, 0),
    (90, 90),
    (0, 127),
    (-90, 90),
    (-127, 0),
    (-90, -90),
    (0, -127),
    (90, -90),
];

#[derive(Debug, Clone)]
pub struct Wander {
    rng: ChaCha8Rng,
    dir: usize,
    /// Chance of turning on any one tick: 1 / tick rate, so about once a second.
    turn_chance: f64,
}

impl Wander {
    pub fn new(seed: u64, tick_rate: u16) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let dir = rng.random_range(0..DIRECTIONS.len());
        Self {
            rng,
            dir,
            turn_chance: 1.0 / f64::from(tick_rate.max(1)),
        }
    }

    /// The stick for the next tick, as the arena's input values `[x, y]`.
    pub fn next_input(&mut self) -> InputValues {
        if self.rng.random_bool(self.turn_chance) {
            // Any direction but the current one.
            self.dir = (self.dir + self.rng.random_range(1..DIRECTIONS.len())) % DIRECTIONS.len();
        }
        let (x, y) = DIRECTIONS[self.dir];
        InputValues::new(&[x, y])
    }

    /// A uniform random number in `0..n`, for jitter that should follow the same seed.
    pub fn random_below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_about_once_a_second_and_always_moves() {
        let mut w = Wander::new(7, 30);
        let mut turns = 0;
        let mut last = w.next_input();
        for _ in 0..30 * 100 {
            let now = w.next_input();
            assert!(now.as_slice() != [0, 0]);
            if now != last {
                turns += 1;
            }
            last = now;
        }
        assert!((60..=140).contains(&turns), "{turns} turns in 100 s");
    }
}
