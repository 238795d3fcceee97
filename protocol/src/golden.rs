//! Golden vectors: files Rust writes and the JavaScript tests read, so both sides of the
//! wire (and of every prediction step) are proven to agree. [`check`] compares a file with
//! what the code produces now, or rewrites it when `TICKWIRE_BLESS` is set. A game proves
//! its JavaScript step exact with one [`trajectories`] file and one JavaScript test.

use std::path::Path;

use serde_json::{Value, json};

use crate::schema::Replicate;

/// Asserts that the file at `path` holds `value` as JSON (one line when `compact`), or
/// writes it when the environment variable `TICKWIRE_BLESS` is set.
///
/// # Panics
/// When the file differs: that is the test failing.
pub fn check(path: &Path, value: &Value, compact: bool) {
    let text = if compact {
        serde_json::to_string(value)
    } else {
        serde_json::to_string_pretty(value)
    }
    .unwrap_or_default()
        + "\n";
    if std::env::var_os("TICKWIRE_BLESS").is_some() {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(path, text) {
            panic!("writing {}: {e}", path.display());
        }
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == text,
        "{} differs from what the code produces; if the change is intended, rerun with TICKWIRE_BLESS=1 and update the JavaScript side",
        path.display()
    );
}

/// One trajectory of a prediction step: the state after each input, from `start`.
pub struct Case<S, I> {
    pub name: String,
    /// The game's settings the step reads, as its JavaScript module receives them.
    pub config: Value,
    pub start: S,
    pub inputs: Vec<I>,
}

/// A component as JSON, its fields by name: `{"x": 1, "y": 2}`.
pub fn component_json<C: Replicate>(c: &C) -> Value {
    let specs = C::field_specs();
    let mut values = vec![0; specs.len()];
    c.write(&mut values);
    Value::Object(
        specs
            .iter()
            .zip(values)
            .map(|((name, _), v)| ((*name).to_owned(), json!(v)))
            .collect(),
    )
}

/// Runs `step` over every case and returns the trajectories file:
/// `{"cases":[{"name","config","start","inputs","states"}]}`, inputs as value lists and
/// states as `state_json` writes them (components by name, as the SDK's predictor holds
/// them).
pub fn trajectories<S: Clone, I: crate::GameInput>(
    cases: &[Case<S, I>],
    mut step: impl FnMut(&mut S, &I, &Value),
    state_json: impl Fn(&S) -> Value,
) -> Value {
    let cases: Vec<Value> = cases
        .iter()
        .map(|c| {
            let mut state = c.start.clone();
            let states: Vec<Value> = c
                .inputs
                .iter()
                .map(|i| {
                    step(&mut state, i, &c.config);
                    state_json(&state)
                })
                .collect();
            let inputs: Vec<Vec<i32>> = c.inputs.iter().map(|i| i.to_values()).collect();
            json!({
                "name": c.name,
                "config": c.config,
                "start": state_json(&c.start),
                "inputs": inputs,
                "states": states,
            })
        })
        .collect();
    json!({ "cases": cases })
}

/// Scripted inputs without a dependency: a small LCG picks an input with `pick` (given the
/// generator) and holds it for 1 to `max_hold` inputs, until there are `n`. The same seed
/// gives the same inputs on every machine, so trajectories stay byte-identical.
pub fn scripted<I: Clone>(
    seed: u32,
    n: usize,
    max_hold: usize,
    mut pick: impl FnMut(&mut dyn FnMut() -> u32) -> I,
) -> Vec<I> {
    let mut s = seed;
    let mut next = move || {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        s >> 8
    };
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let input = pick(&mut next);
        let hold = 1 + next() as usize % max_hold;
        out.extend(std::iter::repeat_n(input, hold.min(n - out.len())));
    }
    out
}
