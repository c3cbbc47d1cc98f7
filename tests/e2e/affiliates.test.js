'use strict';
// /v1/affiliates: create (api_key shown once), defaults, validation, parent_id, PATCH,
// list paging, auth.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('affiliates', () => {
  let srv;
  before(async () => { srv = await h.startServer(); });
  after(async () => { if (srv) await srv.cleanup(); });

  it('creates an affiliate (201) with an api_key shown once', async () => {
    const body = { name: 'Alice Media', email: 'alice@example.org' };
    const r = await srv.api('POST', '/v1/affiliates', { body });
    h.expectStatus(r, 201);
    const a = r.json;
    assert.ok(Number.isInteger(a.id));
    assert.equal(a.name, body.name);
    assert.equal(a.email, body.email);
    assert.equal(a.status, 'approved');
    assert.equal(a.parent_id ?? null, null);
    assert.match(a.created_at, h.ISO_TIME_RE);
    assert.equal(typeof a.api_key, 'string');
    assert.ok(a.api_key.length >= 16);

    const g = await srv.api('GET', `/v1/affiliates/${a.id}`);
    h.expectStatus(g, 200);
    assert.equal(g.json.id, a.id);
    assert.equal(g.json.name, body.name);
    assert.equal(g.json.email, body.email);
    assert.ok(!('api_key' in g.json) || g.json.api_key === null, 'GET never shows the api_key again');
    const list = await h.listAll(srv, '/v1/affiliates');
    const inList = list.find((x) => x.id === a.id);
    assert.ok(inList);
    assert.ok(!('api_key' in inList) || inList.api_key === null, 'list never shows the api_key');

    const me = await srv.api('GET', '/v1/me', { key: a.api_key });
    h.expectStatus(me, 200, 'the new key works on /v1/me');
    assert.equal(me.json.id, a.id);
  });

  it('accepts every status and an existing parent', async () => {
    const parent = await h.createAffiliate(srv);
    for (const status of ['approved', 'pending', 'suspended', 'rejected']) {
      const a = await h.createAffiliate(srv, { status, parent_id: parent.id });
      assert.equal(a.status, status);
      assert.equal(a.parent_id, parent.id);
    }
  });

  const invalid = [
    ['name', { name: undefined }],
    ['name', { name: '' }],
    ['name', { name: 'n'.repeat(201) }],
    ['email', { email: undefined }],
    ['email', { email: 'no-at-sign.example.org' }],
    ['email', { email: `${'e'.repeat(250)}@x.io` }],
    ['status', { status: 'active' }],
    ['parent_id', { parent_id: 987654321 }],
    ['parent_id', { parent_id: 'abc' }],
  ];
  for (const [field, over] of invalid) {
    it(`rejects ${field} ${JSON.stringify(over).slice(0, 60)} with 422 field ${field}`, async () => {
      const body = { name: 'Bob', email: 'bob@example.org', ...over };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      const r = await srv.api('POST', '/v1/affiliates', { body });
      h.expectError(r, 422, 'invalid_argument', field);
    });
  }

  it('PATCH changes fields; parent_id cannot be itself', async () => {
    const a = await h.createAffiliate(srv);
    const p = await h.createAffiliate(srv);
    let r = await srv.api('PATCH', `/v1/affiliates/${a.id}`, { body: { status: 'suspended', name: 'New Name' } });
    h.expectStatus(r, 200);
    assert.equal(r.json.status, 'suspended');
    assert.equal(r.json.name, 'New Name');
    assert.equal(r.json.email, a.email);
    r = await srv.api('PATCH', `/v1/affiliates/${a.id}`, { body: { parent_id: p.id } });
    h.expectStatus(r, 200);
    assert.equal(r.json.parent_id, p.id);
    r = await srv.api('PATCH', `/v1/affiliates/${a.id}`, { body: { parent_id: a.id } });
    h.expectError(r, 422, 'invalid_argument', 'parent_id', 'parent_id = itself');
    r = await srv.api('PATCH', `/v1/affiliates/${a.id}`, { body: { email: 'nope' } });
    h.expectError(r, 422, 'invalid_argument', 'email');
    const g = await srv.api('GET', `/v1/affiliates/${a.id}`);
    assert.equal(g.json.parent_id, p.id);
    assert.equal(g.json.email, a.email);
    r = await srv.api('PATCH', '/v1/affiliates/987654321', { body: { name: 'x' } });
    h.expectError(r, 404, 'not_found');
  });

  it('GET unknown affiliate is 404', async () => {
    h.expectError(await srv.api('GET', '/v1/affiliates/987654321'), 404, 'not_found');
  });

  it('lists with paging', async () => {
    for (let i = 0; i < 3; i++) await h.createAffiliate(srv);
    const all = await h.listAll(srv, '/v1/affiliates');
    const ids = all.map((a) => a.id);
    assert.deepEqual([...ids].sort((x, y) => x - y), ids);
    const paged = await h.listAll(srv, '/v1/affiliates', { limit: 2 });
    assert.deepEqual(paged.map((a) => a.id), ids);
  });

  it('admin endpoints refuse affiliate keys (403) and missing keys (401)', async () => {
    const a = await h.createAffiliate(srv);
    h.expectError(await srv.api('GET', '/v1/affiliates', { key: a.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('GET', `/v1/affiliates/${a.id}`, { key: a.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('PATCH', `/v1/affiliates/${a.id}`, { key: a.api_key, body: { status: 'approved' } }), 403, 'forbidden');
    h.expectError(await srv.api('POST', '/v1/affiliates', { key: null, body: { name: 'x', email: 'x@y.z' } }), 401, 'unauthenticated');
  });
});
