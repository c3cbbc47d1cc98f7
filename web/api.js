// api.js - the dashboard's only way to the server: same-origin JSON calls with the
// session cookie, the CSRF token on every write, and one error shape.
//
// The CSRF token comes from sign-in or GET /v1/session and lives only in memory. A 401
// on any call means the session ended: onSignedOut (set by app.js) shows sign-in.

let csrf = null;
let onSignedOut = () => {};

export function setCsrf(token) { csrf = token; }
export function setSignedOutHandler(fn) { onSignedOut = fn; }

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `request failed (${status})`);
    this.status = status;
    this.code = e.code || 'error';
    this.field = e.field || null;
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['x-csrf-token'] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: 'The server cannot be reached.' } });
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (!res.ok) {
    if (res.status === 401 && path !== '/v1/session') onSignedOut();
    throw new ApiError(res.status, json);
  }
  return json;
}

/** POST raw bytes (a File or Blob, e.g. a banner) as the request body, with the CSRF
 * token; the server reads the type from the bytes themselves. */
export async function upload(path, blob) {
  const headers = { accept: 'application/json', 'content-type': 'application/octet-stream' };
  if (csrf) headers['x-csrf-token'] = csrf;
  let res;
  try {
    res = await fetch(path, { method: 'POST', headers, body: blob, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, { error: { code: 'network', message: 'The server cannot be reached.' } });
  }
  let json = null;
  try { json = await res.json(); } catch { json = null; }
  if (!res.ok) {
    if (res.status === 401) onSignedOut();
    throw new ApiError(res.status, json);
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body === undefined ? {} : body);

/** "?a=1&b=2" from an object, leaving out empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}
