//! Tag's rules, stepped in process with clients that decode every snapshot.

use std::sync::Arc;

use super::*;
use crate::maps::MapCatalog;
use crate::testing::Stepper;

fn yard() -> Stepper {
    let map = MapCatalog::embedded()
        .expect("maps")
        .get("yard")
        .expect("the yard ships");
    Stepper::new(Arc::new(Tag), map, 8)
}

fn runner(h: &Stepper, viewer: u32, id: u32) -> Runner {
    h.get::<Runner>(viewer, id).expect("a runner")
}

/// Steps `mover` toward `target` until `done` or 300 ticks; the others stand still.
fn chase(
    h: &mut Stepper,
    mover: (u32, u32),
    target: u32,
    others: &[u32],
    done: impl Fn(&Stepper) -> bool,
) -> bool {
    for _ in 0..300 {
        if done(h) {
            return true;
        }
        let (me, they) = (
            h.get::<Body>(mover.0, mover.1).expect("me"),
            h.get::<Body>(mover.0, target).expect("them"),
        );
        let d = they.pos() - me.pos();
        h.send(
            mover.0,
            &TagInput {
                x: d.x.signum() * 127,
                y: d.y.signum() * 127,
                dash: 0,
            },
        );
        for c in others {
            h.send(*c, &TagInput::default());
        }
        h.tick();
    }
    done(h)
}

#[test]
fn the_first_player_is_it_and_a_touch_passes_it_on() {
    let mut h = yard();
    let a = h.join(1).expect("a");
    let b = h.join(2).expect("b");
    h.tick();
    assert_eq!(runner(&h, 2, a).it, IT, "the first player is it");
    assert_eq!(runner(&h, 2, b).it, RUNNER);
    let tagged = chase(&mut h, (1, a), b, &[2], |h| runner(h, 1, b).it == IT);
    assert!(tagged, "a caught b");
    assert_eq!(runner(&h, 2, a).it, RUNNER, "a is free");
    // The new "it" cannot tag straight back: for a second nothing passes, even touching.
    for _ in 0..20 {
        h.send(1, &TagInput::default());
        h.send(2, &TagInput::default());
        h.tick();
        assert_eq!(runner(&h, 1, b).it, IT, "no tag back within the second");
    }
}

#[test]
fn runners_score_a_point_a_second_and_it_does_not() {
    let mut h = yard();
    let a = h.join(1).expect("a");
    let b = h.join(2).expect("b");
    for _ in 0..90 {
        h.tick();
    }
    assert_eq!(runner(&h, 1, b).score, 3, "three seconds as a runner");
    assert_eq!(runner(&h, 1, a).score, 0, "it scores nothing");
}

#[test]
fn a_round_ends_with_scores_reset_and_the_lowest_scorer_it() {
    let mut h = yard();
    let a = h.join(1).expect("a");
    let b = h.join(2).expect("b");
    h.tick();
    let clock = h.views[&1].with::<Round>()[0];
    let start = h.get::<Round>(1, clock).expect("a round").ticks_left;
    for _ in 0..start - 1 {
        h.tick();
    }
    assert_eq!(
        h.get::<Round>(1, clock).expect("round").ticks_left,
        1,
        "the clock counts down by one a tick"
    );
    h.tick();
    assert_eq!(
        h.get::<Round>(1, clock).expect("round").ticks_left,
        90 * 30,
        "a new round"
    );
    assert_eq!((runner(&h, 1, a).score, runner(&h, 1, b).score), (0, 0));
    assert_eq!(
        runner(&h, 1, a).it,
        IT,
        "a scored least (it all round), so a starts as it"
    );
}

#[test]
fn when_it_leaves_someone_else_is_it() {
    let mut h = yard();
    h.join(1).expect("a");
    let b = h.join(2).expect("b");
    h.tick();
    h.lobby.leave(1, true);
    h.tick();
    assert_eq!(runner(&h, 2, b).it, IT);
}

#[test]
fn a_dash_is_faster_then_waits_for_its_cooldown() {
    let mut h = yard();
    let a = h.join(1).expect("a");
    h.tick();
    // Runs right for 6 ticks from a standstill, pressing dash or not; returns the distance.
    let run = |h: &mut Stepper, dash: i32| {
        for _ in 0..15 {
            h.send(1, &TagInput::default());
            h.tick();
        }
        let x0 = h.get::<Body>(1, a).expect("a").x;
        for _ in 0..6 {
            h.send(1, &TagInput { x: 127, y: 0, dash });
            h.tick();
        }
        let back = h.get::<Body>(1, a).expect("a").x - x0;
        for _ in 0..15 {
            h.send(
                1,
                &TagInput {
                    x: -127,
                    y: 0,
                    dash: 0,
                },
            );
            h.tick();
        }
        back
    };
    let walking = run(&mut h, 0);
    // The cooldown (60 ticks) is over after the walk: this one dashes.
    for _ in 0..60 {
        h.tick();
    }
    let dashing = run(&mut h, 1);
    assert!(runner(&h, 1, a).cooldown > 0, "the dash is cooling down");
    let during_cooldown = run(&mut h, 1);
    assert!(
        dashing > walking * 3 / 2,
        "a dash is faster: {dashing} vs {walking}"
    );
    assert_eq!(
        during_cooldown, walking,
        "a dash pressed while cooling down does nothing"
    );
}

#[test]
fn a_map_with_absurd_rules_is_refused_at_load() {
    let json = |round: u64| {
        format!(
            r#"{{"name":"m","game":"tag","width":400,"height":400,"spawns":[[50,50]],"rules":{{"player":{{"speed":300,"accel":3000,"half_size":16}},"dash":{{"ticks":6,"cooldown":60,"speed_percent":200}},"round_seconds":{round}}}}}"#
        )
    };
    let ok = crate::maps::GameMap::parse(&json(90)).expect("parses");
    assert!(Tag.check_map(&ok).is_ok());
    let long = crate::maps::GameMap::parse(&json(200_000_000)).expect("parses");
    assert!(
        Tag.check_map(&long).is_err(),
        "a round of 6 years overflows the clock"
    );
}
