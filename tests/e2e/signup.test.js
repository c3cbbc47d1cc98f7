'use strict';
// Public affiliate sign-up (POST /v1/signup, docs/api.md): closed unless affiliate_signup
// is on; an application creates a pending affiliate and its portal login in one
// transaction, records the terms acceptance, and shares the sign-in rate limit.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, expectError, expectStatus, uniq } = require('./helpers');

function apply(srv, body, headers = {}) {
  return srv.raw('POST', '/v1/signup', { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

function signIn(srv, email, password) {
  return srv.raw('POST', '/v1/session', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
}

test('sign-up is closed by default', async () => {
  const srv = await startServer();
  try {
    const r = await apply(srv, { name: 'X', email: 'x@example.com', password: 'long enough', accept_terms: true });
    expectError(r, 403, 'forbidden');
    assert.match(r.json.error.message, /closed/);
    assert.equal((await srv.api('GET', '/v1/affiliates')).json.data.length, 0);
  } finally { await srv.cleanup(); }
});

test('an application makes a pending affiliate with a login; an admin approves it', async () => {
  const srv = await startServer({ args: ['--affiliate-signup', 'on', '--signin-attempts-per-minute', '1000'] });
  try {
    const email = `${uniq('app')}@Example.com`;
    const r = await apply(srv, { name: 'Applicant Ltd', email, password: 'applicant pw', accept_terms: true });
    expectStatus(r, 201, 'apply');
    assert.equal(r.json.affiliate.status, 'pending');
    assert.equal(r.json.affiliate.email, email.toLowerCase());
    assert.equal(r.json.user.role, 'affiliate');
    assert.equal(r.json.user.affiliate_id, r.json.affiliate.id);
    assert.equal(r.text.includes('api_key'), false, 'an applicant gets no API key');
    assert.equal(r.text.includes('argon2'), false);
    // the store recorded when the terms were accepted
    const row = spawnSync('sqlite3', [path.join(srv.dataDir, 'afftrack.db'), `SELECT terms_accepted_ms > 0 FROM web_user WHERE email = '${email.toLowerCase()}'`], { encoding: 'utf8' });
    assert.equal(row.stdout.trim(), '1');

    // pending applicants may sign in and see their (empty) portal, not create links
    const s = await signIn(srv, email, 'applicant pw');
    expectStatus(s, 200, 'pending applicant signs in');
    const cookie = s.headers['set-cookie'][0].split(';')[0];
    const me = await srv.raw('GET', '/v1/me', { headers: { cookie } });
    assert.equal(me.json.status, 'pending');
    const link = await srv.raw('POST', '/v1/me/links', { headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': s.json.csrf_token }, body: '{"program_id":1}' });
    assert.ok([403, 404, 422].includes(link.status), `no link for a pending applicant (${link.status})`);

    expectStatus(await srv.api('PATCH', `/v1/affiliates/${r.json.affiliate.id}`, { body: { status: 'approved' } }), 200, 'approve');
    const after = await srv.raw('GET', '/v1/me', { headers: { cookie } });
    assert.equal(after.json.status, 'approved');

    // refusals
    expectError(await apply(srv, { name: 'Again', email: email.toUpperCase(), password: 'applicant pw', accept_terms: true }), 409, 'already_exists', 'email');
    expectError(await apply(srv, { name: 'T', email: 't@example.com', password: 'applicant pw', accept_terms: false }), 422, 'invalid_argument', 'accept_terms');
    expectError(await apply(srv, { name: 'T', email: 't@example.com', password: 'applicant pw' }), 422, 'invalid_argument', 'accept_terms');
    expectError(await apply(srv, { name: 'T', email: 't@example.com', password: 'short', accept_terms: true }), 422, 'invalid_argument', 'password');
    expectError(await apply(srv, { name: '', email: 't@example.com', password: 'applicant pw', accept_terms: true }), 422, 'invalid_argument', 'name');
    expectError(await apply(srv, { name: 'T', email: 'nope', password: 'applicant pw', accept_terms: true }), 422, 'invalid_argument', 'email');
    expectError(await apply(srv, { name: 'T', email: 't@example.com', password: 'applicant pw', accept_terms: true, status: 'approved' }), 422, 'invalid_argument', 'status');
    expectError(await apply(srv, { name: 'T', email: 't@example.com', password: 'applicant pw', accept_terms: true }, { origin: 'https://evil.example' }), 403, 'forbidden');
  } finally { await srv.cleanup(); }
});

test('concurrent applications with one email make exactly one affiliate', async () => {
  const srv = await startServer({ args: ['--affiliate-signup', 'on', '--signin-attempts-per-minute', '1000'] });
  try {
    const body = { name: 'Racer', email: 'race@example.com', password: 'racer pw 1', accept_terms: true };
    const rs = await Promise.all(Array.from({ length: 6 }, () => apply(srv, body)));
    const codes = rs.map((r) => r.status).sort();
    assert.equal(codes.filter((c) => c === 201).length, 1, `one 201 in ${codes}`);
    assert.ok(codes.every((c) => c === 201 || c === 409), `${codes}`);
    assert.equal((await srv.api('GET', '/v1/affiliates')).json.data.length, 1, 'the losers left no affiliate behind');
  } finally { await srv.cleanup(); }
});

test('applications count against the sign-in rate limit', async () => {
  const srv = await startServer({ args: ['--affiliate-signup', 'on', '--signin-attempts-per-minute', '2'] });
  try {
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await apply(srv, { name: `N${i}`, email: `n${i}@example.com`, password: 'applicant pw', accept_terms: true })).status);
    assert.deepEqual(codes, [201, 201, 429]);
  } finally { await srv.cleanup(); }
});
