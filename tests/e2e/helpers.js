'use strict';
// Shared helpers of the afftrack end-to-end tests: start the real binary on a free
// loopback port with a fresh data dir, talk HTTP to it (fetch for the JSON API,
// node:http where headers must be exact: Host, Cookie, Set-Cookie, HEAD), and create
// programs / affiliates / links / coupons quickly.
//
// Every server started here is tracked; tests stop them in after() hooks, and as a last
// resort every still-running child is SIGKILLed when the test process exits.

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const crypto = require('node:crypto');
const assert = require('node:assert/strict');

const BIN = process.env.AFFTRACK_BIN || path.resolve(__dirname, '../../build/afftrack');

// Lower-case Crockford base32 without i l o u; a click id is 32 of these.
const CLICK_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CLICK_ID_RE = /^[0-9a-hjkmnp-tv-z]{32}$/;
const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const live = new Set();
process.on('exit', () => {
  for (const p of live) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

function randomKey(prefix = 'e2e_admin') {
  return `${prefix}_${crypto.randomBytes(18).toString('hex')}`;
}

function makeDataDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'afftrack-e2e-'));
}

function removeDir(dir) {
  if (dir && dir.startsWith(os.tmpdir())) fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Start `afftrack serve` and wait (up to timeoutMs) for its "listening on" line.
 * opts: { dataDir (reuse; otherwise a fresh temp dir that cleanup() removes),
 *         adminKey, args: [extra flags], env: {extra env}, timeoutMs }
 * Returns { url, port, adminKey, dataDir, proc, exited, api(), raw(), stop(), kill(),
 *           cleanup(), stderr(), running() }.
 */
async function startServer(opts = {}) {
  const ownDir = !opts.dataDir;
  const dataDir = opts.dataDir || makeDataDir();
  const adminKey = opts.adminKey || randomKey();
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, ...(opts.args || [])];
  const env = { ...process.env, AFFTRACK_BOOTSTRAP_ADMIN_KEY: adminKey, ...(opts.env || {}) };
  if (!fs.existsSync(BIN)) throw new Error(`afftrack binary not found at ${BIN} (set AFFTRACK_BIN or run make)`);
  const proc = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  let stdout = '';
  let stderr = '';
  let exitInfo = null;
  // Keep draining both pipes for the whole life of the process so it never blocks.
  proc.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 200000) stderr = stderr.slice(-100000);
  });
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      live.delete(proc);
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  const url = await new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err, val) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err); else resolve(val);
    };
    const timer = setTimeout(() => {
      try { proc.kill('SIGKILL'); } catch { /* gone */ }
      finish(new Error(`afftrack did not print its listening line within ${opts.timeoutMs || 10000} ms; stdout: ${stdout}; stderr: ${stderr.slice(-4000)}`));
    }, opts.timeoutMs || 10000);
    proc.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.length > 200000) stdout = stdout.slice(-100000);
      const m = stdout.match(/afftrack: listening on (http:\/\/127\.0\.0\.1:(\d+))/);
      if (m) finish(null, m[1]);
    });
    proc.on('error', (e) => finish(e));
    exited.then(({ code, signal }) => finish(new Error(`afftrack exited (code ${code}, signal ${signal}) before listening; stderr: ${stderr.slice(-4000)}`)));
  });
  const srv = {
    url,
    port: Number(new URL(url).port),
    adminKey,
    dataDir,
    proc,
    exited,
    stderr: () => stderr,
    running: () => exitInfo === null,
    api: (method, p, o = {}) => api(url, method, p, { key: srv.adminKey, ...o }),
    raw: (method, p, o = {}) => rawRequest(url, method, p, o),
    /** SIGTERM and wait; returns {code, signal}. SIGKILLs after timeoutMs and throws. */
    async stop(timeoutMs = 10000) {
      if (exitInfo) return exitInfo;
      proc.kill('SIGTERM');
      let t;
      const timeout = new Promise((resolve) => { t = setTimeout(() => resolve(null), timeoutMs); });
      const r = await Promise.race([exited, timeout]);
      clearTimeout(t);
      if (!r) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`afftrack did not exit within ${timeoutMs} ms of SIGTERM`);
      }
      return r;
    },
    async kill() {
      if (exitInfo) return exitInfo;
      proc.kill('SIGKILL');
      return exited;
    },
    /** Kill if still running and remove the data dir (when it was created here). */
    async cleanup({ keepData = false } = {}) {
      if (!exitInfo) {
        try { proc.kill('SIGKILL'); } catch { /* gone */ }
        await exited;
      }
      if (ownDir && !keepData) removeDir(dataDir);
    },
  };
  return srv;
}

/** Run `afftrack verify --data DIR`; returns {status, json, stdout, stderr}. */
function runVerify(dataDir) {
  const r = spawnSync(BIN, ['verify', '--data', dataDir], { encoding: 'utf8', timeout: 30000 });
  let json;
  const line = (r.stdout || '').trim().split('\n').filter((l) => l.trim().startsWith('{')).pop();
  try { json = JSON.parse(line); } catch { json = undefined; }
  return { status: r.status, signal: r.signal, json, stdout: r.stdout, stderr: r.stderr };
}

/**
 * JSON API call through fetch. o: { key (default: none here; srv.api defaults to the
 * admin key; pass key: null for no Authorization), body (JSON-encoded), rawBody (sent
 * as is), headers }. Returns { status, headers (Headers), json, text }.
 */
async function api(baseUrl, method, p, o = {}) {
  const headers = { ...(o.headers || {}) };
  if (o.key) headers.authorization = `Bearer ${o.key}`;
  let payload;
  if (o.rawBody !== undefined) {
    payload = o.rawBody;
  } else if (o.body !== undefined) {
    payload = JSON.stringify(o.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const res = await fetch(baseUrl + p, { method, headers, body: payload, redirect: 'manual', signal: o.signal });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

const defaultAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/**
 * Raw HTTP/1.1 request with node:http (exact headers, Set-Cookie array, HEAD, Host).
 * o: { headers, body (string|Buffer), agent, timeoutMs }.
 * Returns { status, headers (lower-case object; set-cookie is an array), text, body }.
 */
function rawRequest(baseUrl, method, p, o = {}) {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const headers = { ...(o.headers || {}) };
    if (o.body !== undefined && headers['content-length'] === undefined) headers['content-length'] = Buffer.byteLength(o.body);
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method,
      path: p,
      headers,
      agent: o.agent === undefined ? defaultAgent : o.agent,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        let json;
        try { json = JSON.parse(body.toString('utf8')); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body, text: body.toString('utf8'), json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.timeoutMs) req.setTimeout(o.timeoutMs, () => req.destroy(new Error('request timeout')));
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}

let seq = 0;
function uniq(prefix = 'x') {
  seq += 1;
  return `${prefix}${Date.now().toString(36)}${process.pid.toString(36)}${seq.toString(36)}`;
}

function expectStatus(r, status, what) {
  assert.equal(r.status, status, `${what || 'request'}: expected ${status}, got ${r.status}: ${r.text}`);
}

async function createProgram(srv, over = {}) {
  const body = {
    name: `Program ${uniq()}`,
    currency: 'USD',
    destination_url: 'https://shop.example.com/landing',
    commission: { sale: { percent: '10' }, lead: { flat_minor: 200 } },
    ...over,
  };
  const r = await srv.api('POST', '/v1/programs', { body });
  expectStatus(r, 201, `POST /v1/programs ${JSON.stringify(body)}`);
  return r.json;
}

async function createAffiliate(srv, over = {}) {
  const n = uniq('aff');
  const body = { name: `Affiliate ${n}`, email: `${n}@example.org`, ...over };
  const r = await srv.api('POST', '/v1/affiliates', { body });
  expectStatus(r, 201, `POST /v1/affiliates ${JSON.stringify(body)}`);
  return r.json;
}

async function createLink(srv, programId, affiliateId, over = {}) {
  const body = { program_id: programId, affiliate_id: affiliateId, ...over };
  const r = await srv.api('POST', '/v1/links', { body });
  expectStatus(r, 201, `POST /v1/links ${JSON.stringify(body)}`);
  return r.json;
}

async function createCoupon(srv, programId, affiliateId, code, over = {}) {
  const body = { program_id: programId, affiliate_id: affiliateId, code, ...over };
  const r = await srv.api('POST', '/v1/coupons', { body });
  expectStatus(r, 201, `POST /v1/coupons ${JSON.stringify(body)}`);
  return r.json;
}

/** Program + affiliate + link in one go. */
async function setup(srv, { program = {}, affiliate = {}, link = {} } = {}) {
  const prog = await createProgram(srv, program);
  const aff = await createAffiliate(srv, affiliate);
  const lnk = await createLink(srv, prog.id, aff.id, link);
  return { program: prog, affiliate: aff, link: lnk };
}

function qs(params) {
  if (!params) return '';
  const s = new URLSearchParams(params).toString();
  return s ? `?${s}` : '';
}

/**
 * GET (or other method) /r/{code}. o: { query (object or raw string starting with '?'),
 * headers, method, param (click id parameter name, default click_id) }.
 * Returns { status, location, clickId, setCookie (array), cookie (afftrack_click value
 * or null), res }.
 */
async function click(srv, code, o = {}) {
  const q = typeof o.query === 'string' ? o.query : qs(o.query);
  const headers = { 'user-agent': 'e2e-test-agent/1.0', ...(o.headers || {}) };
  const res = await rawRequest(srv.url, o.method || 'GET', `/r/${encodeURIComponent(code)}${q}`, { headers, agent: o.agent });
  const location = res.headers.location || null;
  let clickId = null;
  if (location) {
    try { clickId = new URL(location).searchParams.get(o.param || 'click_id'); } catch { clickId = null; }
  }
  const setCookie = [].concat(res.headers['set-cookie'] || []);
  let cookie = null;
  for (const c of setCookie) {
    const m = c.match(/^\s*afftrack_click=([^;]*)/);
    if (m) cookie = m[1];
  }
  return { status: res.status, location, clickId, setCookie, cookie, res };
}

/** Click and assert a 302 with a well-formed click id. */
async function clickOk(srv, code, o = {}) {
  const c = await click(srv, code, o);
  assert.equal(c.status, 302, `GET /r/${code}: expected 302, got ${c.status}: ${c.res.text.slice(0, 300)}`);
  assert.match(String(c.clickId), CLICK_ID_RE, `click id in Location ${c.location}`);
  return c;
}

async function postConversion(srv, body, o = {}) {
  return srv.api('POST', '/v1/conversions', { body, ...o });
}

async function convOk(srv, body, o = {}) {
  const r = await postConversion(srv, body, o);
  expectStatus(r, 201, `POST /v1/conversions ${JSON.stringify(body)}`);
  return r.json;
}

/** Page through a list endpoint; idField names the paging key ('id' or 'click_id'). */
async function listAll(srv, p, { key, idField = 'id', limit = 500 } = {}) {
  const out = [];
  let after = null;
  const sep = p.includes('?') ? '&' : '?';
  for (let i = 0; i < 100000; i++) {
    const url = `${p}${sep}limit=${limit}${after !== null ? `&after=${encodeURIComponent(after)}` : ''}`;
    const r = await srv.api('GET', url, key !== undefined ? { key } : {});
    expectStatus(r, 200, `GET ${url}`);
    assert.ok(Array.isArray(r.json.data), `GET ${url}: data is an array`);
    out.push(...r.json.data);
    if (!r.json.has_more || r.json.data.length === 0) break;
    after = r.json.data[r.json.data.length - 1][idField];
  }
  return out;
}

/** Assert a JSON error body { error: { code, message, field? } }. */
function expectError(r, status, code, field, what) {
  const ctx = `${what || 'request'} -> ${r.status} ${r.text && r.text.slice(0, 400)}`;
  assert.equal(r.status, status, `status: ${ctx}`);
  assert.ok(r.json && typeof r.json === 'object' && r.json.error && typeof r.json.error === 'object', `JSON error body: ${ctx}`);
  if (Array.isArray(code)) assert.ok(code.includes(r.json.error.code), `error.code in ${code}: ${ctx}`);
  else if (code !== undefined) assert.equal(r.json.error.code, code, `error.code: ${ctx}`);
  assert.equal(typeof r.json.error.message, 'string', `error.message: ${ctx}`);
  if (field !== undefined) assert.equal(r.json.error.field, field, `error.field: ${ctx}`);
}

// ---- dates and arithmetic used to compute expectations ----

function utcDay(offsetDays = 0, base = Date.now()) {
  return new Date(base + offsetDays * 86400000).toISOString().slice(0, 10);
}

/** round(n / d) half away from zero, exact (BigInt). */
function divRound(n, d) {
  let N = BigInt(n);
  let D = BigInt(d);
  if (D === 0n) return 0;
  if (D < 0n) { N = -N; D = -D; }
  const neg = N < 0n;
  if (neg) N = -N;
  const q = (2n * N + D) / (2n * D);
  return Number(neg ? -q : q);
}

/** amount * percent (exact decimal string) / 100, rounded half away from zero. */
function percentOf(amountMinor, percent) {
  const [i, f = ''] = String(percent).split('.');
  const micro = BigInt(i) * 1000000n + BigInt((f + '000000').slice(0, 6));
  return divRound(BigInt(amountMinor) * micro, 100n * 1000000n);
}

/** Pro-rata commission left after refunds totalling R of amount A earning C. */
function commissionAfterRefund(C, R, A) {
  return C - divRound(BigInt(C) * BigInt(R), A);
}

/** Run fn over items with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  });
  await Promise.all(workers);
  return results;
}

function metricValue(text, name) {
  // Sum every sample of `name` (with or without labels).
  let sum = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/);
    if (m && m[1] === name) sum = (sum || 0) + Number(m[3]);
  }
  return sum;
}

/** A string of 32 valid base32 characters that is not a valid click id (tag broken). */
function forgeClickId(real) {
  if (!real) return '0'.repeat(32);
  const i = 12; // inside the random part
  const c = real[i];
  const alt = CLICK_ID_ALPHABET[(CLICK_ID_ALPHABET.indexOf(c) + 7) % 32];
  return real.slice(0, i) + alt + real.slice(i + 1);
}

/** Server flags for suites that click more than 60 times a minute from 127.0.0.1. */
const VELOCITY_FLAG_ONLY = ['--fraud-ip-velocity', 'flag', '--fraud-ip-link-velocity', 'flag'];

/**
 * RFC 4180 text as the server writes it (quoted cells, "" escapes, CRLF after every row):
 * { header: [names], rows: [objects keyed by the header] }. Asserts the final CRLF.
 */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell); rows.push(row); row = []; cell = ''; i++;
    } else cell += c;
  }
  assert.equal(cell, '', 'the CSV ends with CRLF');
  const [header, ...body] = rows;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((k, i) => [k, r[i]]))) };
}

module.exports = {
  parseCsv,
  VELOCITY_FLAG_ONLY,
  BIN,
  CLICK_ID_RE,
  ISO_TIME_RE,
  startServer,
  runVerify,
  makeDataDir,
  removeDir,
  randomKey,
  api,
  rawRequest,
  uniq,
  qs,
  expectStatus,
  expectError,
  createProgram,
  createAffiliate,
  createLink,
  createCoupon,
  setup,
  click,
  clickOk,
  postConversion,
  convOk,
  listAll,
  utcDay,
  divRound,
  percentOf,
  commissionAfterRefund,
  pool,
  metricValue,
  forgeClickId,
};
