'use strict';
// Dashboard sign-in (docs/api.md "Dashboard sign-in"): users from the CLI and from
// POST /v1/users, the session cookie's attributes, CSRF on state-changing requests,
// the same role rules as API keys (an affiliate session reaches only /v1/me/*, other
// affiliates' ids answer 404), sign-out, rotation, expiry, restarts and the rate limit.
const test = require('node:test');
const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { BIN, startServer, setup, expectError, expectStatus, uniq } = require('./helpers');

function cli(args, input) {
  return spawnSync(BIN, args, { input, encoding: 'utf8', timeout: 30000 });
}

function createUser(dataDir, email, { admin = false, affiliateId, password = 'correct horse battery' } = {}) {
  const args = ['user', 'create', '--data', dataDir, '--email', email, '--password-stdin'];
  if (admin) args.push('--admin');
  if (affiliateId) args.push('--affiliate-id', String(affiliateId));
  const r = cli(args, `${password}\n`);
  assert.equal(r.status, 0, `user create ${email}: ${r.stderr}`);
  return password;
}

/** Sign in; returns { res, cookie ("name=value"), csrf, setCookie }. */
async function signIn(srv, email, password, headers = {}) {
  const res = await srv.raw('POST', '/v1/session', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email, password }),
  });
  const setCookie = [].concat(res.headers['set-cookie'] || []);
  const m = setCookie.map((c) => c.match(/^((?:__Host-)?afftrack_session)=([^;]*)/)).find(Boolean);
  return { res, setCookie, cookie: m ? `${m[1]}=${m[2]}` : null, csrf: res.json && res.json.csrf_token };
}

/** A request with the session cookie (and the CSRF header when csrf is given). */
function withSession(srv, method, p, s, { csrf, body } = {}) {
  const headers = { cookie: s.cookie };
  if (csrf) headers['x-csrf-token'] = csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return srv.raw(method, p, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

let srv;
let admin;
const ADMIN_EMAIL = 'boss@example.com';
test.before(async () => {
  srv = await startServer({ args: ['--signin-attempts-per-minute', '1000'] });
  admin = createUser(srv.dataDir, 'Boss@Example.com', { admin: true });
});
test.after(async () => { await srv.stop(); await srv.cleanup(); });

test('afftrack user create: admin and affiliate users, generated password, refusals', async () => {
  const gen = cli(['user', 'create', '--data', srv.dataDir, '--admin', '--email', `gen-${uniq()}@example.com`]);
  assert.equal(gen.status, 0, gen.stderr);
  const pw = gen.stdout.match(/password \(shown once\): (\S+)/);
  assert.ok(pw && pw[1].length >= 16, gen.stdout);
  const dup = cli(['user', 'create', '--data', srv.dataDir, '--admin', '--email', 'BOSS@example.com', '--password-stdin'], 'another password\n');
  assert.equal(dup.status, 1);
  assert.match(dup.stderr, /exists/);
  const both = cli(['user', 'create', '--data', srv.dataDir, '--admin', '--affiliate-id', '1', '--email', 'x@example.com']);
  assert.equal(both.status, 2);
  const noAff = cli(['user', 'create', '--data', srv.dataDir, '--affiliate-id', '999999', '--email', 'y@example.com', '--password-stdin'], 'long enough pw\n');
  assert.equal(noAff.status, 1);
  assert.match(noAff.stderr, /affiliate 999999/);
  const short = cli(['user', 'create', '--data', srv.dataDir, '--admin', '--email', 'z@example.com', '--password-stdin'], 'short\n');
  assert.equal(short.status, 1);
  assert.match(short.stderr, /8 to 1024/);
  const signed = await signIn(srv, gen.stdout.match(/user (\S+) created/)[1], pw[1]);
  expectStatus(signed.res, 200, 'sign in with the generated password');
});

test('sign-in sets an HttpOnly SameSite=Lax cookie and answers the user and a CSRF token', async () => {
  const s = await signIn(srv, 'BOSS@example.com', admin);
  expectStatus(s.res, 200, 'sign in');
  assert.equal(s.setCookie.length, 1);
  const c = s.setCookie[0];
  assert.match(c, /^afftrack_session=[0-9a-z]{52}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
  assert.doesNotMatch(c, /Domain=/i);
  const u = s.res.json.user;
  assert.equal(u.email, ADMIN_EMAIL);
  assert.equal(u.role, 'admin');
  assert.equal(u.affiliate_id, null);
  assert.match(s.csrf, /^[0-9a-f]{32}$/);
  assert.ok(Date.parse(s.res.json.expires_at) > Date.now() + 11 * 3600 * 1000);
  assert.equal(JSON.stringify(s.res.json).includes('password'), false, 'no password hash in the answer');
  const who = await withSession(srv, 'GET', '/v1/session', s);
  expectStatus(who, 200, 'GET /v1/session');
  assert.equal(who.json.user.id, u.id);
  assert.equal(who.json.csrf_token, s.csrf);
});

test('wrong password and unknown email answer the same 401', async () => {
  const wrong = await signIn(srv, ADMIN_EMAIL, 'not the password');
  expectError(wrong.res, 401, 'unauthenticated');
  const unknown = await signIn(srv, 'nobody@example.com', 'not the password');
  expectError(unknown.res, 401, 'unauthenticated');
  assert.equal(wrong.res.json.error.message, unknown.res.json.error.message);
  assert.equal(wrong.setCookie.length, 0);
  const bad = await srv.raw('POST', '/v1/session', { headers: { 'content-type': 'application/json' }, body: '{"email":"a@b"}' });
  expectError(bad, 422, 'invalid_argument', 'password');
  const extra = await srv.raw('POST', '/v1/session', { headers: { 'content-type': 'application/json' }, body: '{"email":"a@b","password":"12345678","role":"admin"}' });
  expectError(extra, 422, 'invalid_argument', 'role');
});

test('a cross-origin sign-in is refused', async () => {
  const s = await signIn(srv, ADMIN_EMAIL, admin, { origin: 'https://evil.example' });
  expectError(s.res, 403, 'forbidden');
  const same = await signIn(srv, ADMIN_EMAIL, admin, { origin: srv.url });
  expectStatus(same.res, 200, 'same-origin sign-in');
});

test('the admin session reaches the admin API; writes need the CSRF token', async () => {
  const s = await signIn(srv, ADMIN_EMAIL, admin);
  const list = await withSession(srv, 'GET', '/v1/programs', s);
  expectStatus(list, 200, 'GET /v1/programs with the session');
  const body = { name: 'Session program', currency: 'USD', destination_url: 'https://shop.example.com/' };
  const none = await withSession(srv, 'POST', '/v1/programs', s, { body });
  expectError(none, 403, 'forbidden');
  assert.match(none.json.error.message, /CSRF/);
  const wrong = await withSession(srv, 'POST', '/v1/programs', s, { body, csrf: '0'.repeat(32) });
  expectError(wrong, 403, 'forbidden');
  const ok = await withSession(srv, 'POST', '/v1/programs', s, { body, csrf: s.csrf });
  expectStatus(ok, 201, 'POST /v1/programs with session + CSRF');
  const patch = await withSession(srv, 'PATCH', `/v1/programs/${ok.json.id}`, s, { body: { name: 'Renamed' } });
  expectError(patch, 403, 'forbidden');
  const patched = await withSession(srv, 'PATCH', `/v1/programs/${ok.json.id}`, s, { body: { name: 'Renamed' }, csrf: s.csrf });
  expectStatus(patched, 200, 'PATCH with CSRF');
  // a bearer key needs no CSRF token, with or without a cookie beside it
  const keyed = await srv.api('POST', '/v1/programs', { body: { ...body, name: 'Keyed' }, headers: { cookie: s.cookie } });
  expectStatus(keyed, 201, 'bearer key ignores the cookie');
  // a forged or unknown cookie is no session
  const forged = await withSession(srv, 'GET', '/v1/programs', { cookie: 'afftrack_session=abc' });
  expectError(forged, 401, 'unauthenticated');
});

test('an affiliate session reaches only its own /v1/me data; other ids answer 404', async () => {
  const a = await setup(srv);
  const b = await setup(srv, { program: {} });
  const bCoupon = await srv.api('POST', '/v1/coupons', { body: { program_id: b.program.id, affiliate_id: b.affiliate.id, code: `B${uniq()}`.slice(0, 20) } });
  expectStatus(bCoupon, 201, 'coupon');
  const pw = createUser(srv.dataDir, `aff-${a.affiliate.id}@example.com`, { affiliateId: a.affiliate.id });
  const s = await signIn(srv, `aff-${a.affiliate.id}@example.com`, pw);
  expectStatus(s.res, 200, 'affiliate sign-in');
  assert.equal(s.res.json.user.role, 'affiliate');
  assert.equal(s.res.json.user.affiliate_id, a.affiliate.id);
  const me = await withSession(srv, 'GET', '/v1/me', s);
  expectStatus(me, 200, 'GET /v1/me');
  assert.equal(me.json.id, a.affiliate.id);
  const links = await withSession(srv, 'GET', '/v1/me/links', s);
  assert.deepEqual(links.json.data.map((l) => l.id), [a.link.id]);
  // admin routes: 403 for the session, as for an affiliate key
  for (const p of ['/v1/programs', '/v1/affiliates', '/v1/links', '/v1/conversions', '/v1/reports', '/v1/commissions', '/v1/payouts', '/v1/users', `/v1/links/${b.link.id}`, `/v1/affiliates/${b.affiliate.id}`]) {
    const r = await withSession(srv, 'GET', p, s);
    expectError(r, 403, 'forbidden', undefined, `GET ${p} as affiliate session`);
  }
  const create = await withSession(srv, 'POST', '/v1/links', s, { body: { program_id: b.program.id, affiliate_id: a.affiliate.id }, csrf: s.csrf });
  expectError(create, 403, 'forbidden');
  // B's ids through the portal routes: 404, as if they did not exist
  const cases = [
    `/v1/me/links/${b.link.id}`,
    `/v1/me/reports?affiliate_id=${b.affiliate.id}`,
    `/v1/me/commissions?affiliate_id=${b.affiliate.id}`,
    `/v1/me/payouts?affiliate_id=${b.affiliate.id}`,
    `/v1/me/links?affiliate_id=${b.affiliate.id}`,
  ];
  for (const p of cases) {
    const r = await withSession(srv, 'GET', p, s);
    expectError(r, 404, 'not_found', undefined, `GET ${p} as A's session`);
  }
  const aCoupon = await srv.api('POST', '/v1/coupons', { body: { program_id: a.program.id, affiliate_id: a.affiliate.id, code: `A${uniq()}`.slice(0, 20) } });
  expectStatus(aCoupon, 201, 'A coupon');
  const coupons = await withSession(srv, 'GET', '/v1/me/coupons', s);
  expectStatus(coupons, 200, 'GET /v1/me/coupons');
  assert.deepEqual(coupons.json.data.map((c) => c.id), [aCoupon.json.id]);
  expectError(await withSession(srv, 'GET', `/v1/me/coupons?affiliate_id=${b.affiliate.id}`, s), 404, 'not_found');
  expectError(await srv.api('GET', '/v1/me/coupons'), 403, 'forbidden', undefined, 'admin key on /v1/me/coupons');
  const report = await withSession(srv, 'GET', '/v1/me/reports?group_by=affiliate', s);
  expectStatus(report, 200, 'own report');
  assert.ok(report.json.rows.every((row) => row.affiliate_id === a.affiliate.id));
});

test('sign-out ends the session and clears the cookie; sign-in rotates the session', async () => {
  const s1 = await signIn(srv, ADMIN_EMAIL, admin);
  const s2 = await signIn(srv, ADMIN_EMAIL, admin, { cookie: s1.cookie });
  assert.notEqual(s1.cookie, s2.cookie);
  expectError(await withSession(srv, 'GET', '/v1/programs', s1), 401, 'unauthenticated');
  expectStatus(await withSession(srv, 'GET', '/v1/programs', s2), 200, 'new session');
  const noCsrf = await withSession(srv, 'DELETE', '/v1/session', s2);
  expectError(noCsrf, 403, 'forbidden');
  const out = await withSession(srv, 'DELETE', '/v1/session', s2, { csrf: s2.csrf });
  expectStatus(out, 200, 'sign out');
  assert.equal(out.json.signed_out, true);
  assert.match([].concat(out.headers['set-cookie'])[0], /^afftrack_session=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax$/);
  expectError(await withSession(srv, 'GET', '/v1/programs', s2), 401, 'unauthenticated');
});

test('POST /v1/users creates portal logins (admin only); the password is never answered', async () => {
  const a = await setup(srv);
  const email = `portal-${uniq()}@example.com`;
  const r = await srv.api('POST', '/v1/users', { body: { email, password: 'portal password', affiliate_id: a.affiliate.id } });
  expectStatus(r, 201, 'POST /v1/users');
  assert.deepEqual(Object.keys(r.json).sort(), ['affiliate_id', 'created_at', 'email', 'id', 'role']);
  assert.equal(r.json.role, 'affiliate');
  expectError(await srv.api('POST', '/v1/users', { body: { email: email.toUpperCase(), password: 'portal password', affiliate_id: a.affiliate.id } }), 409, 'already_exists', 'email');
  expectError(await srv.api('POST', '/v1/users', { body: { email: 'n@example.com', password: 'portal password', role: 'affiliate' } }), 422, 'invalid_argument', 'affiliate_id');
  expectError(await srv.api('POST', '/v1/users', { body: { email: 'n@example.com', password: 'portal password', affiliate_id: 99999999 } }), 422, 'invalid_argument', 'affiliate_id');
  expectError(await srv.api('POST', '/v1/users', { body: { email: 'n@example.com', password: 'short', affiliate_id: a.affiliate.id } }), 422, 'invalid_argument', 'password');
  expectError(await srv.api('POST', '/v1/users', { body: { email: 'not-an-email', password: 'portal password' } }), 422, 'invalid_argument', 'email');
  const list = await srv.api('GET', `/v1/users?affiliate_id=${a.affiliate.id}`);
  expectStatus(list, 200, 'GET /v1/users');
  assert.deepEqual(list.json.data.map((u) => u.email), [email]);
  assert.equal(list.text.includes('argon2'), false);
  const s = await signIn(srv, email, 'portal password');
  expectStatus(s.res, 200, 'portal sign-in');
  assert.equal(s.res.json.user.affiliate_id, a.affiliate.id);
  // suspending the affiliate stops its open sessions at once and refuses new sign-ins
  expectStatus(await srv.api('PATCH', `/v1/affiliates/${a.affiliate.id}`, { body: { status: 'suspended' } }), 200, 'suspend');
  expectError(await withSession(srv, 'GET', '/v1/me', s), 403, 'forbidden');
  expectError((await signIn(srv, email, 'portal password')).res, 403, 'forbidden');
  expectStatus(await srv.api('PATCH', `/v1/affiliates/${a.affiliate.id}`, { body: { status: 'approved' } }), 200, 'approve again');
  expectStatus(await withSession(srv, 'GET', '/v1/me', s), 200, 'the session works again once approved');
});

test('sessions survive a restart and end at their expiry', async () => {
  const own = await startServer({ args: ['--session-hours', '2'] });
  try {
    const pw = createUser(own.dataDir, 'restart@example.com', { admin: true });
    const s = await signIn(own, 'restart@example.com', pw);
    assert.match(s.setCookie[0], /Max-Age=7200;/);
    const s2 = await signIn(own, 'restart@example.com', pw);
    await own.stop();
    const again = await startServer({ dataDir: own.dataDir, adminKey: own.adminKey });
    try {
      expectStatus(await withSession(again, 'GET', '/v1/programs', s), 200, 'session after restart');
      await again.stop();
      const r = spawnSync('sqlite3', [path.join(own.dataDir, 'afftrack.db'), 'UPDATE web_session SET expires_ms = 1'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      const third = await startServer({ dataDir: own.dataDir, adminKey: own.adminKey });
      try {
        expectError(await withSession(third, 'GET', '/v1/programs', s2), 401, 'unauthenticated');
      } finally { await third.stop(); }
    } finally { await again.cleanup({ keepData: true }); }
  } finally { await own.cleanup(); }
});

test('sign-in attempts are rate limited per client (429 with Retry-After)', async () => {
  const own = await startServer({ args: ['--signin-attempts-per-minute', '3'] });
  try {
    const codes = [];
    let last;
    for (let i = 0; i < 5; i++) {
      last = await signIn(own, `guess${i}@example.com`, 'wrong password');
      codes.push(last.res.status);
    }
    assert.deepEqual(codes, [401, 401, 401, 429, 429]);
    expectError(last.res, 429, 'rate_limited');
    const retry = Number(last.res.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
  } finally { await own.cleanup(); }
});

test('behind a TLS proxy the cookie is __Host- prefixed and Secure', async () => {
  const own = await startServer({ args: ['--trusted-proxies', '127.0.0.1'] });
  try {
    const pw = createUser(own.dataDir, 'tls@example.com', { admin: true });
    const s = await signIn(own, 'tls@example.com', pw, { 'x-forwarded-proto': 'https' });
    expectStatus(s.res, 200, 'sign in via proxy');
    assert.match(s.setCookie[0], /^__Host-afftrack_session=[0-9a-z]{52}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax; Secure$/);
    expectStatus(await withSession(own, 'GET', '/v1/programs', s), 200, '__Host- cookie accepted');
  } finally { await own.cleanup(); }
});

test('with an https public_url: Origin may be that URL, and the cookie is Secure', async () => {
  const own = await startServer({ args: ['--public-url', 'https://track.example.com'] });
  try {
    const pw = createUser(own.dataDir, 'pub@example.com', { admin: true });
    const s = await signIn(own, 'pub@example.com', pw, { origin: 'https://track.example.com' });
    expectStatus(s.res, 200, 'sign in from the public origin');
    assert.match(s.setCookie[0], /^__Host-afftrack_session=.*; Secure$/);
    expectError((await signIn(own, 'pub@example.com', pw, { origin: 'https://track.example.com.evil.example' })).res, 403, 'forbidden');
    expectError((await signIn(own, 'pub@example.com', pw, { origin: 'null' })).res, 403, 'forbidden');
  } finally { await own.cleanup(); }
});
