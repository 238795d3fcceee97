// The operator's token (kept in sessionStorage: it lasts as long as the tab) and the admin
// actions it unlocks: closing a lobby and removing a player, as POSTs with
// `Authorization: Bearer`.

const TOKEN_KEY = 'tickwire.dashboard.token';

export const savedToken = () => sessionStorage.getItem(TOKEN_KEY);

/** @param {string | null} token */
export function saveToken(token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** @typedef {{ok: boolean, status: number, message: string}} Outcome */

/**
 * POSTs an action; resolves with what the server said (never rejects).
 * @param {string} path @param {string} token @param {string} reason
 * @returns {Promise<Outcome>}
 */
async function post(path, token, reason) {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(reason ? { reason } : {}),
    });
    return { ok: res.ok, status: res.status, message: (await res.text()).trim() };
  } catch (e) {
    return { ok: false, status: 0, message: `the server could not be reached (${e instanceof Error ? e.message : e})` };
  }
}

/** @param {number} lobby @param {string} token @param {string} reason */
export const closeLobby = (lobby, token, reason) => post(`/api/admin/lobbies/${lobby}/close`, token, reason);

/** @param {number} lobby @param {number} client @param {string} token @param {string} reason */
export const kickPlayer = (lobby, client, token, reason) => post(`/api/admin/lobbies/${lobby}/players/${client}/kick`, token, reason);
