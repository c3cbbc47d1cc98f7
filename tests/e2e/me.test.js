'use strict';
// Affiliate portal API /v1/me/*: own data only, other affiliates' ids are 404,
// creating links and deep links, reports, commissions, payouts.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

describe('affiliate portal /v1/me', () => {
  let srv; let prog; let A; let B; let S; let P; let la; let lb; let convB;
  const from = h.utcDay(-1);
  const to = h.utcDay(1);
  const me = (method, p, key, o = {}) => srv.api(method, p, { key, ...o });

  before(async () => {
    srv = await h.startServer();
    prog = await h.createProgram(srv, {
      destination_url: 'https://shop.example.com/',
      allowed_domains: ['shop.example.com', '*.example.com'],
      commission: { sale: { percent: '10' } },
    });
    A = await h.createAffiliate(srv);
    B = await h.createAffiliate(srv, { parent_id: A.id });
    S = await h.createAffiliate(srv, { status: 'suspended' });
    P = await h.createAffiliate(srv, { status: 'pending' });
    la = await h.createLink(srv, prog.id, A.id);
    lb = await h.createLink(srv, prog.id, B.id);
    const ca = [];
    for (let i = 0; i < 2; i++) ca.push((await h.clickOk(srv, la.code, { headers: { 'user-agent': `me-a-${i}` } })).clickId);
    const cb = [];
    for (let i = 0; i < 3; i++) cb.push((await h.clickOk(srv, lb.code, { headers: { 'user-agent': `me-b-${i}` } })).clickId);
    await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('me'), amount_minor: 1000, click_id: ca[0] });
    convB = await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('me'), amount_minor: 2000, click_id: cb[0] });
    await h.convOk(srv, { program_id: prog.id, order_id: h.uniq('me'), amount_minor: 500, click_id: cb[1] });
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('GET /v1/me returns the affiliate itself', async () => {
    const r = await me('GET', '/v1/me', B.api_key);
    h.expectStatus(r, 200);
    assert.equal(r.json.id, B.id);
    assert.equal(r.json.name, B.name);
    assert.equal(r.json.email, B.email);
    assert.equal(r.json.status, 'approved');
    assert.equal(r.json.parent_id, A.id);
    assert.match(r.json.created_at, h.ISO_TIME_RE);
    assert.ok(!('api_key' in r.json) || r.json.api_key === null, 'no api_key');
  });

  it('needs a valid affiliate key', async () => {
    h.expectError(await me('GET', '/v1/me', null), 401, 'unauthenticated');
    h.expectError(await me('GET', '/v1/me', 'nope'), 401, 'unauthenticated');
    h.expectError(await me('GET', '/v1/me/links', null), 401, 'unauthenticated');
    const tok = await me('GET', '/v1/me/reports', prog.postback_token);
    assert.ok(tok.status === 401 || tok.status === 403, `a postback token is not an affiliate key: ${tok.status}`);
  });

  it('lists only its own links; another affiliate\'s link id is 404 like a missing id', async () => {
    const links = await h.listAll(srv, '/v1/me/links', { key: A.api_key });
    assert.ok(links.some((l) => l.id === la.id));
    for (const l of links) assert.equal(l.affiliate_id, A.id);
    assert.ok(!links.some((l) => l.id === lb.id));
    const own = await me('GET', `/v1/me/links/${la.id}`, A.api_key);
    h.expectStatus(own, 200);
    assert.equal(own.json.code, la.code);
    const foreign = await me('GET', `/v1/me/links/${lb.id}`, A.api_key);
    h.expectError(foreign, 404, 'not_found', undefined, 'another affiliate\'s link');
    const missing = await me('GET', '/v1/me/links/987654321', A.api_key);
    h.expectError(missing, 404, 'not_found');
    const bLinks = await h.listAll(srv, '/v1/me/links', { key: B.api_key });
    assert.deepEqual(bLinks.map((l) => l.id), [lb.id]);
  });

  it('POST /v1/me/links creates a (deep) link for itself', async () => {
    const code = h.uniq('me_');
    const deep = 'https://deals.example.com/item/42?color=red';
    const r = await me('POST', '/v1/me/links', A.api_key, { body: { program_id: prog.id, url: deep, code, sub1: 'ig' } });
    h.expectStatus(r, 201);
    assert.equal(r.json.affiliate_id, A.id);
    assert.equal(r.json.program_id, prog.id);
    assert.equal(r.json.code, code);
    assert.equal(r.json.sub1, 'ig');
    assert.equal(r.json.destination_url, deep);
    const c = await h.clickOk(srv, code);
    assert.equal(c.location, `https://deals.example.com/item/42?color=red&click_id=${c.clickId}`);
    const k = (await srv.api('GET', `/v1/clicks/${c.clickId}`)).json;
    assert.equal(k.affiliate_id, A.id);
    assert.equal(k.sub1, 'ig');
    const gen = await me('POST', '/v1/me/links', A.api_key, { body: { program_id: prog.id } });
    h.expectStatus(gen, 201, 'no url, no code');
    assert.match(gen.json.code, /^[A-Za-z0-9_-]{1,64}$/);
    // another affiliate_id in the body never creates a link for someone else
    const spoof = await me('POST', '/v1/me/links', A.api_key, { body: { program_id: prog.id, affiliate_id: B.id } });
    if (spoof.status === 201) assert.equal(spoof.json.affiliate_id, A.id);
    else assert.equal(spoof.status, 422);
  });

  it('POST /v1/me/links validation', async () => {
    h.expectError(await me('POST', '/v1/me/links', A.api_key, { body: { program_id: prog.id, url: 'https://evil.com/' } }), 422, 'invalid_argument', 'url');
    h.expectError(await me('POST', '/v1/me/links', A.api_key, { body: { program_id: prog.id, url: 'https://shop.example.com@evil.com/' } }), 422, 'invalid_argument', 'url');
    h.expectError(await me('POST', '/v1/me/links', A.api_key, { body: { program_id: prog.id, code: lb.code } }), 409, 'already_exists', 'code');
    h.expectError(await me('POST', '/v1/me/links', A.api_key, { body: { program_id: 987654321 } }), 422, 'invalid_argument', 'program_id');
    h.expectError(await me('POST', '/v1/me/links', A.api_key, { body: { url: 'https://shop.example.com/' } }), 422, 'invalid_argument', 'program_id');
    h.expectError(await me('POST', '/v1/me/links', A.api_key, { rawBody: '{', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
  });

  it('POST /v1/me/links only in its own programs: another is refused as an unknown one, and stays closed', async () => {
    // a program only B is in, with content for its members
    const other = await h.createProgram(srv, { destination_url: 'https://shop.example.com/' });
    await h.createLink(srv, other.id, B.id);
    const secret = await srv.api('POST', '/v1/creatives', { body: { program_id: other.id, name: 'members only', text: 'hi {link}' } });
    h.expectStatus(secret, 201);
    const before = (await me('GET', '/v1/me/links', A.api_key)).json.data.length;
    const r = await me('POST', '/v1/me/links', A.api_key, { body: { program_id: other.id } });
    h.expectError(r, 422, 'invalid_argument', 'program_id');
    const unknown = await me('POST', '/v1/me/links', A.api_key, { body: { program_id: 987654321 } });
    assert.equal(r.json.error.message.replace(/\d+/, 'N'), unknown.json.error.message.replace(/\d+/, 'N'), 'the same answer as for a missing program');
    assert.equal((await me('GET', '/v1/me/links', A.api_key)).json.data.length, before, 'no link was made');
    h.expectStatus(await me('GET', `/v1/me/creatives/${secret.json.id}`, A.api_key), 404);
    assert.equal((await me('GET', '/v1/me/programs', A.api_key)).json.data.some((p) => p.id === other.id), false);
    // B, in it, may
    h.expectStatus(await me('POST', '/v1/me/links', B.api_key, { body: { program_id: other.id } }), 201, 'B in its program');
  });

  it('only approved affiliates may create links (403)', async () => {
    h.expectError(await me('POST', '/v1/me/links', S.api_key, { body: { program_id: prog.id } }), 403, 'forbidden', undefined, 'suspended');
    h.expectError(await me('POST', '/v1/me/links', P.api_key, { body: { program_id: prog.id } }), 403, 'forbidden', undefined, 'pending');
  });

  it('a suspended or rejected affiliate\'s API key is refused everywhere until it is approved again', async () => {
    const X = await h.createAffiliate(srv);
    h.expectStatus(await me('GET', '/v1/me/links', X.api_key), 200);
    for (const status of ['suspended', 'rejected']) {
      h.expectStatus(await srv.api('PATCH', `/v1/affiliates/${X.id}`, { body: { status } }), 200);
      for (const p of ['/v1/me', '/v1/me/links', '/v1/me/commissions', '/v1/me/balance', `/v1/me/reports${h.qs({ from, to })}`]) {
        h.expectError(await me('GET', p, X.api_key), 403, 'forbidden', undefined, 'suspended or rejected');
      }
      h.expectError(await me('POST', '/v1/me/links', X.api_key, { body: { program_id: prog.id } }), 403, 'forbidden', undefined, 'suspended');
    }
    h.expectStatus(await srv.api('PATCH', `/v1/affiliates/${X.id}`, { body: { status: 'approved' } }), 200);
    h.expectStatus(await me('GET', '/v1/me/links', X.api_key), 200);
  });

  it('/v1/me/reports is restricted to itself', async () => {
    const r = await me('GET', `/v1/me/reports${h.qs({ from, to })}`, B.api_key);
    h.expectStatus(r, 200);
    assert.equal(r.json.totals.clicks, 3);
    assert.equal(r.json.totals.conversions, 2);
    assert.equal(r.json.totals.revenue_minor, 2500);
    assert.equal(r.json.totals.commission_minor, h.percentOf(2000, '10') + h.percentOf(500, '10'));
    const byLink = await me('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'link' })}`, B.api_key);
    h.expectStatus(byLink, 200);
    assert.deepEqual(byLink.json.rows.map((x) => x.link_id), [lb.id]);
    const self = await me('GET', `/v1/me/reports${h.qs({ from, to, affiliate_id: B.id })}`, B.api_key);
    h.expectStatus(self, 200);
    assert.equal(self.json.totals.clicks, 3);
    h.expectError(await me('GET', `/v1/me/reports${h.qs({ from, to, affiliate_id: A.id })}`, B.api_key), 404, 'not_found', undefined, 'affiliate_id of another affiliate');
    h.expectError(await me('GET', `/v1/me/reports${h.qs({ from, to, link_id: la.id })}`, B.api_key), 404, 'not_found', undefined, 'link_id of another affiliate');
    h.expectError(await me('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'country' })}`, B.api_key), 422, 'invalid_argument', 'group_by');
    h.expectError(await me('GET', `/v1/me/reports${h.qs({ from: to, to: from })}`, B.api_key), 422, 'invalid_argument');
    const csv = await srv.raw('GET', `/v1/me/reports${h.qs({ from, to, group_by: 'link', format: 'csv' })}`, { headers: { authorization: `Bearer ${B.api_key}` } });
    assert.equal(csv.status, 200);
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    const lines = csv.text.split(/\r?\n/).filter(Boolean);
    assert.equal(lines.length, 2);
    assert.equal(lines[1].split(',')[0], String(lb.id));
  });

  it('/v1/me/commissions lists its own lines only', async () => {
    const lines = await h.listAll(srv, '/v1/me/commissions', { key: B.api_key });
    assert.equal(lines.length, 2);
    for (const l of lines) assert.equal(l.affiliate_id, B.id);
    assert.equal(lines.reduce((s, l) => s + l.amount_minor, 0), h.percentOf(2000, '10') + h.percentOf(500, '10'));
    const aLines = await h.listAll(srv, '/v1/me/commissions', { key: A.api_key });
    assert.ok(!aLines.some((l) => l.conversion_id === convB.conversion.id), 'A never sees B\'s lines');
    for (const l of aLines) assert.equal(l.affiliate_id, A.id);
  });

  it('/v1/me/payouts is an empty list for now', async () => {
    const r = await me('GET', '/v1/me/payouts', A.api_key);
    h.expectStatus(r, 200);
    assert.deepEqual(r.json.data, []);
    assert.equal(r.json.has_more, false);
    const admin = await srv.api('GET', '/v1/payouts');
    h.expectStatus(admin, 200);
    assert.deepEqual(admin.json.data, []);
    h.expectError(await srv.api('GET', '/v1/payouts', { key: A.api_key }), 403, 'forbidden');
  });
});
