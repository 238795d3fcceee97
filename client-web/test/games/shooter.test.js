// The shooter's module, its pure parts: the prediction step (the engine's movement
// trajectories through it while alive, a stop while dead), aiming and firing from each
// device, the gun's cooldown as the server counts it, the moment seen in the input, rays
// stopping at walls, the camera, the feed of shots the server decided, and the HUD.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { AIM_LENGTH, Trigger, aimFields, aimFrom, rayLength, seenFields } from '../../src/games/shooter/aim.js';
import { cameraFor } from '../../src/games/shooter/camera.js';
import { Feed, HIT, KILL, MARKER_MS, MISS } from '../../src/games/shooter/feed.js';
import shooter, { ownLines, scoreboard } from '../../src/games/shooter/index.js';
import { shooterStep } from '../../src/games/shooter/step.js';
import { seenAt } from '../../src/sdk/interpolation.js';
import { replayTrajectories } from '../helpers/trajectories.js';
import { ARENA_MAP, loadVectors } from '../helpers/wire.js';

const { map, cases } = loadVectors('trajectories.json');
const STICK = ['x', 'y'];

// trajectories.json is the engine's movement step: a living shooter moves exactly so.
replayTrajectories(
  'trajectories.json through the shooter step, alive',
  cases.map((c) => ({
    name: `${c.name} at ${c.tick_rate} Hz`,
    config: { map, movement: c.params },
    start: { Body: { x: c.start[0], y: c.start[1], vx: 0, vy: 0 }, Fighter: { health: 100 } },
    inputs: c.inputs,
    states: c.states.map(([x, y, vx, vy]) => ({ Body: { x, y, vx, vy } })),
  })),
  shooterStep,
  STICK,
);

const MOVEMENT = { max_speed: 160, accel: 53, half_size: 256 };
const CONFIG = { map: { ...ARENA_MAP, name: 'range' }, movement: MOVEMENT, gun: { damage: 25, range: 19200, cooldown: 8 }, health: 100, respawn_ticks: 90, radius: 256, view: 28800 };

test('a dead player lets go of the stick: it brakes to a stop and stays', () => {
  const step = shooterStep(CONFIG);
  let state = { Body: { x: 8000, y: 8000, vx: 160, vy: 0 }, Fighter: { health: 0 } };
  const push = { x: 127, y: 0 };
  for (let i = 0; i < 10; i++) state = step(state, push);
  assert.deepEqual(state.Body, { x: 8000 + 107 + 54 + 1, y: 8000, vx: 0, vy: 0 }, 'slows by accel a tick, then stands');
  const alive = step({ ...state, Fighter: { health: 1 } }, push);
  assert.equal(alive.Body.vx, 53, 'alive again, it moves');
});

const idle = { stick: { x: 0, y: 0 }, aim: null, buttons: { action: false, alt: false } };

test('the aim: an aim stick first, else the mouse from the own player, else the last aim', () => {
  const own = { x: 500, y: 300 };
  assert.deepEqual(aimFrom({ ...idle, pointer: { x: 600, y: 300, down: false } }, own, null), { aim: { x: 100, y: 0 }, fire: false });
  assert.deepEqual(aimFrom({ ...idle, pointer: { x: 500, y: 200, down: true } }, own, null), { aim: { x: 0, y: -100 }, fire: true }, 'a click fires');
  const stick = { ...idle, aim: { x: 0, y: 40 }, pointer: { x: 600, y: 300, down: false } };
  assert.deepEqual(aimFrom(stick, own, null), { aim: { x: 0, y: 40 }, fire: false }, 'a stick aims over the mouse, gently without firing');
  assert.deepEqual(aimFrom({ ...idle, aim: { x: 127, y: 0 } }, own, null).fire, true, 'a stick pushed to its rim fires');
  assert.deepEqual(aimFrom({ ...idle, aim: { x: 0, y: 0 } }, own, { x: 1, y: 1 }), { aim: { x: 1, y: 1 }, fire: false }, 'a resting stick keeps the aim');
  assert.deepEqual(aimFrom({ ...idle, buttons: { action: true, alt: false } }, null, null), { aim: null, fire: true }, 'Space, A, RT or Fire pull the trigger');
});

test('the aim travels as a long integer direction; the moment seen only with a shot', () => {
  assert.deepEqual(aimFields(null), { aim_x: 0, aim_y: 0 });
  assert.deepEqual(aimFields({ x: 3, y: -4 }), { aim_x: 18000, aim_y: -24000 });
  const { aim_x, aim_y } = aimFields({ x: 1, y: 1 });
  assert.ok(Math.abs(Math.hypot(aim_x, aim_y) - AIM_LENGTH) < 1);
  const seen = seenAt(1234.75);
  assert.deepEqual(seen, { tick: 1234, fraction: 49152 });
  assert.deepEqual(seenFields(seen, true), { seen_tick: 1234, seen_fraction: 49152 });
  assert.deepEqual(seenFields(seen, false), { seen_tick: 0, seen_fraction: 0 });
  assert.deepEqual(seenFields(null, true), { seen_tick: 0, seen_fraction: 0 });
});

test('the gun fires once per cooldown of inputs, only alive and aimed, as the server counts', () => {
  const t = new Trigger(3);
  const held = [1, 2, 3, 4, 5, 6, 7].map(() => t.input(true, true, true));
  assert.deepEqual(held, [true, false, false, true, false, false, true]);
  const u = new Trigger(3);
  assert.equal(u.input(true, false, true), false, 'not while dead');
  assert.equal(u.input(true, true, false), false, 'not without an aim');
  assert.equal(u.input(true, true, true), true);
});

test('a ray stops at the first wall face, the edge of the map or the range', () => {
  const walls = { width: 1000, height: 1000, walls: [{ min: [400, 100], max: [500, 900] }] };
  assert.equal(rayLength(walls, { x: 100, y: 500 }, { x: 1, y: 0 }, 5000), 300);
  assert.equal(rayLength(walls, { x: 100, y: 500 }, { x: -2, y: 0 }, 5000), 100, 'the edge');
  assert.equal(rayLength(walls, { x: 100, y: 950 }, { x: 1, y: 0 }, 5000), 900, 'past the wall');
  assert.equal(rayLength(walls, { x: 100, y: 500 }, { x: 1, y: 0 }, 120), 120, 'the range');
});

test('the camera keeps the own player in the middle of what the touch controls leave clear', () => {
  const surface = { width: 1100, height: 700, reserved: { top: 0, right: 0, bottom: 0, left: 0 } };
  const cam = cameraFor(surface, { x: 40000, y: 30000 }, 28800);
  assert.deepEqual(cam.at(40000, 30000), { x: 550, y: 350 });
  const shownUnits = (cam.visible.maxX - cam.visible.minX) / 16;
  assert.ok(shownUnits > 1000 && shownUnits <= 1800, `about 1300 units across, never more than the view: ${shownUnits}`);
  const phone = cameraFor({ width: 390, height: 844, reserved: { top: 0, right: 0, bottom: 224, left: 0 } }, { x: 0, y: 0 }, 28800);
  assert.deepEqual(phone.at(0, 0), { x: 195, y: 310 });
  assert.ok((phone.visible.maxY - phone.visible.minY) / 16 <= 1800);
  const back = cam.toMap(700, 100);
  const there = cam.at(back.x, back.y);
  assert.ok(Math.abs(there.x - 700) < 1e-6 && Math.abs(there.y - 100) < 1e-6, 'toMap undoes at');
});

/** A view of the own player 1 and player 2, each with a Shot and a Fighter. */
const view = (/** @type {any} */ own, /** @type {any} */ other) => {
  const entity = (id, c, isOwn) => ({ id, own: isOwn, player: null, components: { Body: { x: 0, y: 0, vx: 0, vy: 0 }, ...c } });
  const a = entity(1, own, true);
  return {
    entities: [a, entity(2, other, false)],
    own: a,
    players: new Map([[1, { name: 'Ada' }], [2, { name: 'Bo' }]].map(([id, p]) => [id, /** @type {any} */ (p)])),
    tickRate: 30,
  };
};
const shot = (fired, outcome, target = 0) => ({ fired, to_x: 10, to_y: 20, target, outcome });
const fighter = (health, hit_by = 0) => ({ health, respawn: 0, falling: 0, kills: 0, deaths: 0, hit_by });

test('the feed: tracers of others shots, markers for own hits and kills, a flash when hit, kills listed', () => {
  const feed = new Feed();
  feed.observe(/** @type {any} */ (view({ Shot: shot(3, HIT), Fighter: fighter(100) }, { Shot: shot(5, MISS), Fighter: fighter(100) })), 0);
  assert.deepEqual([feed.tracers.length, feed.markers.length, feed.kills.length], [0, 0, 0], 'what was already there is not news');
  feed.observe(/** @type {any} */ (view({ Shot: shot(4, HIT, 2), Fighter: fighter(75, 2) }, { Shot: shot(6, MISS), Fighter: fighter(75) })), 100);
  assert.equal(feed.tracers.length, 1, "Bo's shot is drawn");
  assert.deepEqual(feed.markers.map((m) => m.outcome), [HIT], 'the own hit is marked');
  assert.deepEqual([feed.hurtAt, feed.hurtBy], [100, 'Bo'], 'the own player flashes, hit by Bo');
  feed.observe(/** @type {any} */ (view({ Shot: shot(5, KILL, 2), Fighter: fighter(75, 2) }, { Shot: shot(6, MISS), Fighter: fighter(0, 1) })), 200);
  assert.deepEqual(feed.kills.map((k) => [k.killer, k.victim, k.own]), [['Ada', 'Bo', true]]);
  feed.observe(/** @type {any} */ (view({ Shot: shot(5, KILL, 2), Fighter: fighter(75, 2) }, { Shot: shot(6, MISS), Fighter: fighter(0, 1) })), 200 + MARKER_MS);
  assert.equal(feed.markers.length, 0, 'markers fade');
  const own = shooter.start({ schema: /** @type {any} */ ({}), config: CONFIG, tickRate: 30 });
  feed.ownShot({ x: 0, y: 0 }, { x: 1, y: 1 }, 0);
  assert.ok(own.controls.aim !== undefined && own.controls.buttons?.[0].label === 'Fire', 'touch gets an aim stick and a Fire button');
});

test('the HUD: health or the respawn countdown, kills and deaths', () => {
  const dead = { ...fighter(0), respawn: 45, kills: 2, deaths: 1 };
  const v = /** @type {any} */ (view({ Shot: shot(0, MISS), Fighter: dead }, { Shot: shot(0, MISS), Fighter: { ...fighter(100), kills: 1 } }));
  assert.deepEqual(ownLines(v, CONFIG), ['Dead: respawn in 2 s', 'Kills: 2 · Deaths: 1']);
});

test('the input: the stick moves, the aim and trigger go with the moment seen', () => {
  const game = shooter.start({ schema: /** @type {any} */ ({}), config: CONFIG, tickRate: 30 });
  const sample = { stick: { x: 127, y: -5 }, aim: { x: 0, y: 127 }, buttons: { action: false, alt: false } };
  assert.deepEqual(game.input(sample, { seen: { tick: 900, fraction: 5 } }), { x: 127, y: -5, aim_x: 0, aim_y: AIM_LENGTH, fire: 1, seen_tick: 900, seen_fraction: 5 });
  assert.deepEqual(game.input(idle, { seen: { tick: 901, fraction: 0 } }), { x: 0, y: 0, aim_x: 0, aim_y: AIM_LENGTH, fire: 0, seen_tick: 0, seen_fraction: 0 });
});

test('the scoreboard lists every player\'s line, near or far, and nothing else', () => {
  const entities = [
    { components: { Body: { x: 0, y: 0, vx: 0, vy: 0 }, Fighter: { health: 100, kills: 9, deaths: 9 } } },
    { components: { Tally: { player: 1, kills: 2, deaths: 0 } } },
    { components: { Tally: { player: 7, kills: 0, deaths: 1 } } },
  ];
  assert.deepEqual(scoreboard(entities), [
    { entity: 1, score: 2, note: undefined },
    { entity: 7, score: 0, note: '1 death' },
  ]);
});
