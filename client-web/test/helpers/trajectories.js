// Replays a game's golden trajectories (written by Rust) against its JS prediction step, one
// test per case, state by state: a game adds one call to prove its port bit-exact.
//
// A trajectory file: {cases: [{name, config, start: {Component: {field: value}}, inputs:
// [[v, ...], ...], states: [{Component: {field: value}}, ...]}]}; each input lists the values
// of the game's input fields in schema order; each state is the predicted components after
// that input (only the fields it lists are compared).

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

/**
 * @param {string} title
 * @param {{name: string, config: any, start: any, inputs: number[][], states: any[]}[]} cases
 * @param {(config: any) => (state: any, input: Record<string, number>) => any} stepFor the game's step for a config
 * @param {string[]} inputNames the schema's input field names, in order
 */
export function replayTrajectories(title, cases, stepFor, inputNames) {
  describe(title, () => {
    test('there are cases to replay', () => assert.ok(cases.length > 0));
    for (const c of cases) {
      test(`${c.name} matches all ${c.states.length} states`, () => {
        const step = stepFor(c.config);
        let state = structuredClone(c.start);
        c.inputs.forEach((values, i) => {
          const input = Object.fromEntries(inputNames.map((n, j) => [n, values[j]]));
          state = step(state, input);
          const expected = c.states[i];
          const got = Object.fromEntries(Object.entries(expected).map(([comp, fields]) => [comp, Object.fromEntries(Object.keys(fields).map((f) => [f, state[comp]?.[f]]))]));
          assert.deepEqual(got, expected, `state ${i} after input [${values}]`);
        });
      });
    }
  });
}
