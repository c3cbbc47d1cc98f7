'use strict';
// /v1/links and /v1/coupons: create, generated and vanity codes, duplicate codes (409),
// validation, PATCH, tracking url built from public_url.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const PUBLIC_URL = 'http://t.example';

describe('links', () => {
  let srv; let prog; let aff;
  before(async () => {
    srv = await h.startServer({ args: ['--public-url', PUBLIC_URL] });
    prog = await h.createProgram(srv, {
      destination_url: 'https://shop.example.com/',
      allowed_domains: ['shop.example.com', '*.example.com'],
    });
    aff = await h.createAffiliate(srv);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('creates a link with a generated code and its tracking url', async () => {
    const r = await srv.api('POST', '/v1/links', { body: { program_id: prog.id, affiliate_id: aff.id } });
    h.expectStatus(r, 201);
    const l = r.json;
    assert.ok(Number.isInteger(l.id));
    assert.equal(l.program_id, prog.id);
    assert.equal(l.affiliate_id, aff.id);
    assert.match(l.code, /^[A-Za-z0-9_-]{1,64}$/);
    assert.equal(l.url, `${PUBLIC_URL}/r/${l.code}`);
    const l2 = await h.createLink(srv, prog.id, aff.id);
    assert.notEqual(l2.code, l.code, 'generated codes differ');
    const g = await srv.api('GET', `/v1/links/${l.id}`);
    h.expectStatus(g, 200);
    assert.equal(g.json.code, l.code);
    assert.equal(g.json.url, l.url);
    // the generated code really routes
    const c = await h.clickOk(srv, l.code);
    assert.ok(c.location.startsWith('https://shop.example.com/'));
  });

  it('creates a vanity link with destination and default subs', async () => {
    const code = h.uniq('Vanity_');
    const body = {
      program_id: prog.id, affiliate_id: aff.id, code,
      destination_url: 'https://deals.example.com/summer',
      sub1: 's1', sub2: 's2', sub3: 's3', sub4: 's4', sub5: 's5',
    };
    const r = await srv.api('POST', '/v1/links', { body });
    h.expectStatus(r, 201);
    for (const k of Object.keys(body)) assert.equal(r.json[k], body[k], k);
    assert.equal(r.json.url, `${PUBLIC_URL}/r/${code}`);
  });

  it('duplicate code is 409 already_exists field code; codes are case-sensitive', async () => {
    const code = h.uniq('dup');
    await h.createLink(srv, prog.id, aff.id, { code });
    const other = await h.createProgram(srv);
    const r = await srv.api('POST', '/v1/links', { body: { program_id: other.id, affiliate_id: aff.id, code } });
    h.expectError(r, 409, 'already_exists', 'code', 'same code, other program (unique across the server)');
    const upper = await srv.api('POST', '/v1/links', { body: { program_id: prog.id, affiliate_id: aff.id, code: code.toUpperCase() } });
    h.expectStatus(upper, 201, 'upper-case variant is another code');
    const lower = await h.clickOk(srv, code);
    const up = await h.clickOk(srv, code.toUpperCase());
    const lc = await srv.api('GET', `/v1/clicks/${lower.clickId}`);
    const uc = await srv.api('GET', `/v1/clicks/${up.clickId}`);
    assert.notEqual(lc.json.link_id, uc.json.link_id);
  });

  const invalid = [
    ['program_id', { program_id: undefined }],
    ['program_id', { program_id: 987654321 }],
    ['affiliate_id', { affiliate_id: undefined }],
    ['affiliate_id', { affiliate_id: 987654321 }],
    ['code', { code: 'has space' }],
    ['code', { code: 'a/b' }],
    ['code', { code: 'c'.repeat(65) }],
    ['code', { code: '' }],
    ['destination_url', { destination_url: 'https://evil.com/' }],
    ['destination_url', { destination_url: 'https://shop.example.com.evil.com/' }],
    ['destination_url', { destination_url: 'ftp://shop.example.com/' }],
  ];
  for (const [field, over] of invalid) {
    it(`rejects ${field} ${JSON.stringify(over).slice(0, 60)} with 422`, async () => {
      const body = { program_id: prog.id, affiliate_id: aff.id, ...over };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      const r = await srv.api('POST', '/v1/links', { body });
      h.expectError(r, 422, 'invalid_argument', field);
    });
  }

  it('PATCH destination_url and subs; destination checked', async () => {
    const l = await h.createLink(srv, prog.id, aff.id);
    let r = await srv.api('PATCH', `/v1/links/${l.id}`, { body: { destination_url: 'https://www.example.com/p', sub3: 'patched' } });
    h.expectStatus(r, 200);
    assert.equal(r.json.destination_url, 'https://www.example.com/p');
    assert.equal(r.json.sub3, 'patched');
    assert.equal(r.json.code, l.code);
    r = await srv.api('PATCH', `/v1/links/${l.id}`, { body: { destination_url: 'https://evil.com/' } });
    h.expectError(r, 422, 'invalid_argument', 'destination_url');
    const c = await h.clickOk(srv, l.code);
    assert.ok(c.location.startsWith('https://www.example.com/p?'), c.location);
    const stored = await srv.api('GET', `/v1/clicks/${c.clickId}`);
    assert.equal(stored.json.sub3, 'patched');
    h.expectError(await srv.api('PATCH', '/v1/links/987654321', { body: { sub1: 'x' } }), 404, 'not_found');
  });

  it('GET unknown link 404; list paging', async () => {
    h.expectError(await srv.api('GET', '/v1/links/987654321'), 404, 'not_found');
    const all = await h.listAll(srv, '/v1/links');
    const paged = await h.listAll(srv, '/v1/links', { limit: 2 });
    assert.deepEqual(paged.map((l) => l.id), all.map((l) => l.id));
    assert.ok(all.length >= 5);
  });

  it('links need the admin key', async () => {
    h.expectError(await srv.api('GET', '/v1/links', { key: null }), 401, 'unauthenticated');
    h.expectError(await srv.api('GET', '/v1/links', { key: aff.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('POST', '/v1/links', { key: aff.api_key, body: { program_id: prog.id, affiliate_id: aff.id } }), 403, 'forbidden');
  });
});

describe('coupons', () => {
  let srv; let prog; let aff; let aff2;
  before(async () => {
    srv = await h.startServer();
    prog = await h.createProgram(srv);
    aff = await h.createAffiliate(srv);
    aff2 = await h.createAffiliate(srv);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('creates a coupon stored upper-case', async () => {
    const r = await srv.api('POST', '/v1/coupons', { body: { program_id: prog.id, affiliate_id: aff.id, code: 'spring-Sale_1' } });
    h.expectStatus(r, 201);
    assert.ok(Number.isInteger(r.json.id));
    assert.equal(r.json.code, 'SPRING-SALE_1');
    assert.equal(r.json.program_id, prog.id);
    assert.equal(r.json.affiliate_id, aff.id);
    const g = await srv.api('GET', `/v1/coupons/${r.json.id}`);
    h.expectStatus(g, 200);
    assert.equal(g.json.code, 'SPRING-SALE_1');
  });

  it('duplicate code (any case) in the same program is 409; other program is fine', async () => {
    await h.createCoupon(srv, prog.id, aff.id, 'WINTER');
    const r = await srv.api('POST', '/v1/coupons', { body: { program_id: prog.id, affiliate_id: aff2.id, code: 'winter' } });
    h.expectError(r, 409, 'already_exists', 'code');
    const other = await h.createProgram(srv);
    const ok = await srv.api('POST', '/v1/coupons', { body: { program_id: other.id, affiliate_id: aff2.id, code: 'Winter' } });
    h.expectStatus(ok, 201, 'same code in another program');
    assert.equal(ok.json.code, 'WINTER');
  });

  const invalid = [
    ['code', { code: undefined }],
    ['code', { code: 'bad code' }],
    ['code', { code: 'c'.repeat(65) }],
    ['program_id', { program_id: undefined }],
    ['program_id', { program_id: 987654321 }],
    ['affiliate_id', { affiliate_id: 987654321 }],
  ];
  for (const [field, over] of invalid) {
    it(`rejects ${field} ${JSON.stringify(over).slice(0, 50)} with 422`, async () => {
      const body = { program_id: prog.id, affiliate_id: aff.id, code: h.uniq('C'), ...over };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      const r = await srv.api('POST', '/v1/coupons', { body });
      h.expectError(r, 422, 'invalid_argument', field);
    });
  }

  it('PATCH affiliate_id moves the coupon (and attribution follows)', async () => {
    const c = await h.createCoupon(srv, prog.id, aff.id, h.uniq('MOVE'));
    let r = await srv.api('PATCH', `/v1/coupons/${c.id}`, { body: { affiliate_id: aff2.id } });
    h.expectStatus(r, 200);
    assert.equal(r.json.affiliate_id, aff2.id);
    assert.equal(r.json.code, c.code);
    r = await srv.api('PATCH', `/v1/coupons/${c.id}`, { body: { affiliate_id: 987654321 } });
    h.expectError(r, 422, 'invalid_argument', 'affiliate_id');
    const conv = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('o'), amount: '10', coupon: c.code.toLowerCase() });
    assert.equal(conv.conversion.method, 'coupon');
    assert.equal(conv.conversion.affiliate_id, aff2.id);
  });

  it('GET unknown coupon 404; list; auth', async () => {
    h.expectError(await srv.api('GET', '/v1/coupons/987654321'), 404, 'not_found');
    const all = await h.listAll(srv, '/v1/coupons');
    assert.ok(all.length >= 3);
    const paged = await h.listAll(srv, '/v1/coupons', { limit: 1 });
    assert.deepEqual(paged.map((c) => c.id), all.map((c) => c.id));
    h.expectError(await srv.api('GET', '/v1/coupons', { key: aff.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('GET', '/v1/coupons', { key: null }), 401, 'unauthenticated');
  });
});
