// The dashboard's live data: GET /api/dashboard/stream read with fetch and a ReadableStream
// (EventSource cannot send the Authorization header, and a token in the URL would end up
// in logs), parsed as server-sent events, one JSON snapshot per event. Reconnects with
// backoff when the stream drops or goes quiet; stops on 401 until told to start again.

import { Backoff } from '../sdk/backoff.js';

export const BACKOFF_FIRST_MS = 1000;
export const BACKOFF_MAX_MS = 10000;
/** A stream with no event for this long is dropped and opened again. */
export const QUIET_MS = 5000;

/**
 * @typedef {{state: 'connecting'} | {state: 'live'} | {state: 'lost', retryInMs: number}
 *   | {state: 'refused', status: number, message: string, retryInMs: number | null}} StreamStatus
 * @typedef {{
 *   url: string,
 *   token: () => string | null,
 *   onSnapshot: (snapshot: any) => void,
 *   onStatus: (status: StreamStatus) => void,
 *   fetchImpl?: typeof fetch,
 * }} StreamOptions
 */

/**
 * Splits server-sent events off the front of `text`: the data of each complete event
 * (its `data:` lines joined), and what is left for the next chunk.
 * @param {string} text
 * @returns {{events: string[], rest: string}}
 */
export function parseEvents(text) {
  const events = [];
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = /** @type {string} */ (blocks.pop());
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) events.push(data.join('\n'));
  }
  return { events, rest };
}

/** The retry schedule: an operator's page keeps trying, however long the server is down. */
export const retries = () => new Backoff({ firstMs: BACKOFF_FIRST_MS, maxMs: BACKOFF_MAX_MS, giveUpAfterMs: Infinity });

export class DashboardStream {
  /** @param {StreamOptions} opts */
  constructor({ url, token, onSnapshot, onStatus, fetchImpl = (...a) => fetch(...a) }) {
    this.url = url;
    this.token = token;
    this.onSnapshot = onSnapshot;
    this.onStatus = onStatus;
    this.fetchImpl = fetchImpl;
    /** Bumped by every start and stop: a run that sees another number ends. */
    this.generation = 0;
    /** @type {AbortController | null} */
    this.controller = null;
  }

  /** (Re)opens the stream, with the current token. */
  start() {
    this.stop();
    const generation = this.generation;
    void this.run(generation);
  }

  stop() {
    this.generation++;
    this.controller?.abort();
    this.controller = null;
  }

  /** @param {number} generation */
  async run(generation) {
    const backoff = retries();
    /** The wait before the next try (never null: the schedule does not give up). */
    const wait = () => backoff.failed(performance.now()) ?? BACKOFF_MAX_MS;
    const current = () => this.generation === generation;
    while (current()) {
      this.onStatus({ state: 'connecting' });
      const controller = new AbortController();
      this.controller = controller;
      const token = this.token();
      /** @type {Record<string, string>} */
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      try {
        const res = await this.fetchImpl(this.url, { headers, signal: controller.signal, cache: 'no-store' });
        if (!res.ok || res.body === null) {
          const message = (await res.text()).trim();
          const retryInMs = res.status === 401 ? null : wait();
          this.onStatus({ state: 'refused', status: res.status, message, retryInMs });
          if (retryInMs === null) return;
          await sleep(retryInMs);
          continue;
        }
        await this.read(res.body, controller, () => {
          backoff.reset();
          if (current()) this.onStatus({ state: 'live' });
        });
      } catch {
        // A dropped connection, or an abort by stop(): the loop decides.
      }
      if (!current()) return;
      const retryInMs = wait();
      this.onStatus({ state: 'lost', retryInMs });
      await sleep(retryInMs);
    }
  }

  /**
   * Reads events until the stream ends, is aborted, or stays quiet too long.
   * @param {ReadableStream<Uint8Array>} body @param {AbortController} controller
   * @param {() => void} onFirst called at the first event
   */
  async read(body, controller, onFirst) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let first = true;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let quiet;
    const watch = () => {
      clearTimeout(quiet);
      quiet = setTimeout(() => controller.abort(), QUIET_MS);
    };
    watch();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        const { events, rest } = parseEvents(buffered + decoder.decode(value, { stream: true }));
        buffered = rest;
        for (const data of events) {
          watch();
          if (first) onFirst();
          first = false;
          this.onSnapshot(JSON.parse(data));
        }
      }
    } finally {
      clearTimeout(quiet);
      reader.cancel().catch(() => {});
    }
  }
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
