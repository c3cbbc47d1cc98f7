'use strict';
// /v1/programs: create, defaults, validation of every field, read, list paging, PATCH,
// commission_version, auth.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('programs', () => {
  let srv;
  let affKey;
  before(async () => {
    srv = await h.startServer();
    affKey = (await h.createAffiliate(srv)).api_key;
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('creates a program with documented defaults (201)', async () => {
    const body = { name: 'Shop One', currency: 'USD', destination_url: 'https://shop.example.com/landing?x=1' };
    const r = await srv.api('POST', '/v1/programs', { body });
    h.expectStatus(r, 201, 'POST /v1/programs');
    const p = r.json;
    assert.equal(typeof p.id, 'number');
    assert.ok(Number.isInteger(p.id));
    assert.equal(p.name, body.name);
    assert.equal(p.currency, 'USD');
    assert.equal(p.destination_url, body.destination_url);
    assert.equal(p.kind, 'affiliate');
    assert.deepEqual(p.allowed_domains, ['shop.example.com']);
    assert.equal(p.cookie_days, 30);
    assert.equal(p.attribution, 'last_click');
    assert.equal(p.click_id_param, 'click_id');
    assert.deepEqual(p.commission, {});
    assert.equal(p.hold_days, 30);
    assert.equal(p.min_payout_minor, 0);
    assert.equal(p.fallback_url, null);
    assert.equal(p.commission_version, 1);
    assert.equal(typeof p.postback_token, 'string');
    assert.ok(p.postback_token.length >= 16, 'postback_token looks like a secret');
    assert.match(p.created_at, h.ISO_TIME_RE);
  });

  it('stores every writable field given at creation', async () => {
    const body = {
      name: 'Referral Two', kind: 'referral', currency: 'JPY',
      destination_url: 'https://jp.example.net/',
      allowed_domains: ['jp.example.net', '*.example.net'],
      cookie_days: 7, attribution: 'first_click', click_id_param: 'ref_id',
      commission: { sale: { percent: '12.5' }, lead: { flat_minor: 300 } },
      hold_days: 0, min_payout_minor: 5000, fallback_url: 'https://jp.example.net/sorry',
    };
    const r = await srv.api('POST', '/v1/programs', { body });
    h.expectStatus(r, 201);
    for (const k of Object.keys(body)) assert.deepEqual(r.json[k], body[k], `field ${k}`);
    const g = await srv.api('GET', `/v1/programs/${r.json.id}`);
    h.expectStatus(g, 200);
    for (const k of Object.keys(body)) assert.deepEqual(g.json[k], body[k], `GET field ${k}`);
    assert.equal(g.json.id, r.json.id);
    assert.equal(g.json.postback_token, r.json.postback_token);
  });

  it('two programs get different postback tokens', async () => {
    const a = await h.createProgram(srv);
    const b = await h.createProgram(srv);
    assert.notEqual(a.postback_token, b.postback_token);
    assert.notEqual(a.id, b.id);
  });

  const base = { name: 'V', currency: 'USD', destination_url: 'https://v.example.com/' };
  const invalid = [
    ['name', { name: undefined }],
    ['name', { name: '' }],
    ['name', { name: 'n'.repeat(201) }],
    ['name', { name: 42 }],
    ['currency', { currency: undefined }],
    ['currency', { currency: 'usd' }],
    ['currency', { currency: 'ABC' }],
    ['currency', { currency: 'US' }],
    ['destination_url', { destination_url: undefined }],
    ['destination_url', { destination_url: 'ftp://v.example.com/' }],
    ['destination_url', { destination_url: 'not a url' }],
    ['destination_url', { destination_url: '//v.example.com/' }],
    ['destination_url', { destination_url: 'javascript:alert(1)' }],
    ['kind', { kind: 'network' }],
    ['allowed_domains', { allowed_domains: 'v.example.com' }],
    ['allowed_domains', { allowed_domains: ['bad domain'] }],
    ['cookie_days', { cookie_days: 0 }],
    ['cookie_days', { cookie_days: 3651 }],
    ['cookie_days', { cookie_days: '30' }],
    ['attribution', { attribution: 'linear' }],
    ['click_id_param', { click_id_param: 'click-id' }],
    ['click_id_param', { click_id_param: '' }],
    ['click_id_param', { click_id_param: 'p'.repeat(65) }],
    ['hold_days', { hold_days: -1 }],
    ['hold_days', { hold_days: 3651 }],
    ['min_payout_minor', { min_payout_minor: -1 }],
    ['fallback_url', { fallback_url: 'ftp://x.example/' }],
    ['fallback_url', { fallback_url: '/relative' }],
    ['fallback_url', { fallback_url: 42 }],
  ];
  for (const [field, over] of invalid) {
    it(`rejects invalid ${field} ${JSON.stringify(over)} with 422 field ${field}`, async () => {
      const body = { ...base, ...over };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      const r = await srv.api('POST', '/v1/programs', { body });
      h.expectError(r, 422, 'invalid_argument', field, `POST /v1/programs ${JSON.stringify(body)}`);
    });
  }

  it('rejects a malformed commission plan with 422 naming commission', async () => {
    for (const commission of [
      { sale: { percent: 'abc' } },
      { sale: { percent: '10.1234567' } },
      { sale: { percent: '-5' } },
      { sale: { flat_minor: -1 } },
      { sale: { bogus: 1 } },
      'ten percent',
    ]) {
      const r = await srv.api('POST', '/v1/programs', { body: { ...base, commission } });
      assert.equal(r.status, 422, `commission ${JSON.stringify(commission)}: ${r.status} ${r.text}`);
      assert.equal(r.json.error.code, 'invalid_argument');
      assert.ok(String(r.json.error.field).startsWith('commission'), `field names commission: ${r.text}`);
    }
  });

  it('accepts percent strings with up to 6 fraction digits', async () => {
    const p = await h.createProgram(srv, { commission: { sale: { percent: '12.345678' } } });
    assert.deepEqual(p.commission, { sale: { percent: '12.345678' } });
  });

  it('GET unknown id is 404 not_found', async () => {
    const r = await srv.api('GET', '/v1/programs/987654321');
    h.expectError(r, 404, 'not_found');
  });

  it('lists programs with limit/after paging in ascending id order', async () => {
    for (let i = 0; i < 3; i++) await h.createProgram(srv);
    const all = await h.listAll(srv, '/v1/programs', { limit: 500 });
    assert.ok(all.length >= 5);
    const ids = all.map((p) => p.id);
    assert.deepEqual([...ids].sort((a, b) => a - b), ids, 'ascending ids');
    assert.equal(new Set(ids).size, ids.length, 'no duplicates');

    const first = await srv.api('GET', '/v1/programs?limit=2');
    h.expectStatus(first, 200);
    assert.equal(first.json.data.length, 2);
    assert.equal(first.json.has_more, true);
    assert.deepEqual(first.json.data.map((p) => p.id), ids.slice(0, 2));
    const second = await srv.api('GET', `/v1/programs?limit=2&after=${ids[1]}`);
    h.expectStatus(second, 200);
    assert.deepEqual(second.json.data.map((p) => p.id), ids.slice(2, 4));

    const last = await srv.api('GET', `/v1/programs?after=${ids[ids.length - 1]}`);
    h.expectStatus(last, 200);
    assert.deepEqual(last.json.data, []);
    assert.equal(last.json.has_more, false);

    const paged = await h.listAll(srv, '/v1/programs', { limit: 1 });
    assert.deepEqual(paged.map((p) => p.id), ids);
  });

  it('rejects limit outside 1..500 with 422 field limit', async () => {
    for (const limit of ['0', '501', 'abc', '-1']) {
      const r = await srv.api('GET', `/v1/programs?limit=${limit}`);
      h.expectError(r, 422, 'invalid_argument', 'limit', `limit=${limit}`);
    }
    const ok = await srv.api('GET', '/v1/programs?limit=500');
    h.expectStatus(ok, 200);
  });

  it('PATCH changes a subset of fields; commission_version bumps only on commission change', async () => {
    const p = await h.createProgram(srv, { commission: { sale: { percent: '10' } } });
    assert.equal(p.commission_version, 1);
    let r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { name: 'Renamed', cookie_days: 60 } });
    h.expectStatus(r, 200, 'PATCH name');
    assert.equal(r.json.name, 'Renamed');
    assert.equal(r.json.cookie_days, 60);
    assert.equal(r.json.commission_version, 1);
    assert.equal(r.json.destination_url, p.destination_url, 'untouched field kept');
    assert.equal(r.json.postback_token, p.postback_token, 'token unchanged');

    r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { percent: '15' } } } });
    h.expectStatus(r, 200, 'PATCH commission');
    assert.equal(r.json.commission_version, 2);
    assert.deepEqual(r.json.commission, { sale: { percent: '15' } });

    r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { commission: { sale: { flat_minor: 100 } } } });
    h.expectStatus(r, 200);
    assert.equal(r.json.commission_version, 3);

    const g = await srv.api('GET', `/v1/programs/${p.id}`);
    assert.equal(g.json.name, 'Renamed');
    assert.equal(g.json.commission_version, 3);
  });

  it('PATCH validates like create and currency is immutable', async () => {
    const p = await h.createProgram(srv);
    let r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { cookie_days: 0 } });
    h.expectError(r, 422, 'invalid_argument', 'cookie_days');
    r = await srv.api('PATCH', `/v1/programs/${p.id}`, { body: { currency: 'EUR' } });
    h.expectError(r, 422, 'invalid_argument', 'currency', 'PATCH currency');
    const g = await srv.api('GET', `/v1/programs/${p.id}`);
    assert.equal(g.json.currency, 'USD');
    assert.equal(g.json.cookie_days, 30);
    r = await srv.api('PATCH', '/v1/programs/987654321', { body: { name: 'x' } });
    h.expectError(r, 404, 'not_found');
  });

  it('requires the admin key', async () => {
    let r = await srv.api('GET', '/v1/programs', { key: null });
    h.expectError(r, 401, 'unauthenticated', undefined, 'no key');
    r = await srv.api('GET', '/v1/programs', { key: 'wrong-key' });
    h.expectError(r, 401, 'unauthenticated', undefined, 'wrong key');
    r = await srv.api('POST', '/v1/programs', { key: null, body: base });
    h.expectError(r, 401, 'unauthenticated');
    r = await srv.api('GET', '/v1/programs', { key: affKey });
    h.expectError(r, 403, 'forbidden', undefined, 'affiliate key');
    r = await srv.api('POST', '/v1/programs', { key: affKey, body: base });
    h.expectError(r, 403, 'forbidden');
    const p = await h.createProgram(srv);
    r = await srv.api('GET', `/v1/programs/${p.id}`, { key: p.postback_token });
    assert.ok(r.status === 401 || r.status === 403, `postback token on admin GET: ${r.status}`);
  });
});
