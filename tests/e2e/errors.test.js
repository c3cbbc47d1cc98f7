'use strict';
// Cross-cutting error contract: JSON error bodies, 400/401/403/404/405/413.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

function rawJson(srv, method, path, body, key) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  return srv.raw(method, path, { headers, body, agent: false });
}

describe('error contract', () => {
  let srv; let small; let aff; let prog; let link;
  before(async () => {
    [srv, small] = await Promise.all([
      h.startServer(),
      h.startServer({ args: ['--max-body-bytes', '1024'] }),
    ]);
    ({ program: prog, affiliate: aff, link } = await h.setup(srv));
  });
  after(async () => {
    if (srv) await srv.cleanup();
    if (small) await small.cleanup();
  });

  it('errors are JSON with code and message', async () => {
    const r = await srv.api('GET', '/v1/programs/987654321');
    h.expectError(r, 404, 'not_found');
    assert.match(String(r.headers.get('content-type')), /^application\/json/);
  });

  it('unknown routes are 404 not_found', async () => {
    h.expectError(await srv.api('GET', '/v1/nope'), 404, 'not_found');
    h.expectError(await srv.api('GET', '/v1/programs/1/nope'), 404, 'not_found');
    h.expectError(await srv.api('GET', '/v2/programs'), 404, 'not_found');
    h.expectError(await srv.api('GET', '/v1/programs/abc'), 404, 'not_found');
  });

  it('known path, wrong method: 405 method_not_allowed', async () => {
    h.expectError(await srv.api('PUT', '/v1/programs', { body: {} }), 405, 'method_not_allowed');
    h.expectError(await srv.api('DELETE', `/v1/programs/${prog.id}`), 405, 'method_not_allowed');
    h.expectError(await srv.api('PATCH', '/v1/conversions', { body: {} }), 405, 'method_not_allowed');
    h.expectError(await srv.api('GET', '/v1/conversions/1/refund'), 405, 'method_not_allowed');
    h.expectError(await srv.api('POST', '/healthz', { body: {} }), 405, 'method_not_allowed');
    h.expectError(await srv.api('POST', '/v1/reports', { body: {} }), 405, 'method_not_allowed');
    h.expectError(await srv.api('DELETE', '/v1/me', { key: aff.api_key }), 405, 'method_not_allowed');
  });

  it('401 for missing, unknown or malformed credentials', async () => {
    for (const headers of [{}, { authorization: 'Bearer' }, { authorization: 'Bearer ' }, { authorization: 'Bearer wrong' },
      { authorization: `Basic ${Buffer.from(`x:${srv.adminKey}`).toString('base64')}` }, { authorization: srv.adminKey },
      { authorization: `Bearer ${srv.adminKey}x` }]) {
      const r = await srv.api('GET', '/v1/programs', { key: null, headers });
      h.expectError(r, 401, 'unauthenticated', undefined, JSON.stringify(headers));
    }
  });

  it('403 for an affiliate key on every admin endpoint', async () => {
    const paths = [
      ['GET', '/v1/programs'], ['POST', '/v1/programs'], ['GET', `/v1/programs/${prog.id}`], ['PATCH', `/v1/programs/${prog.id}`],
      ['GET', '/v1/affiliates'], ['POST', '/v1/affiliates'], ['GET', `/v1/affiliates/${aff.id}`], ['PATCH', `/v1/affiliates/${aff.id}`],
      ['GET', '/v1/links'], ['POST', '/v1/links'], ['GET', `/v1/links/${link.id}`], ['PATCH', `/v1/links/${link.id}`],
      ['GET', '/v1/coupons'], ['POST', '/v1/coupons'],
      ['GET', '/v1/clicks'], ['GET', '/v1/conversions'], ['POST', '/v1/conversions'], ['POST', '/v1/conversions/1/refund'],
      ['GET', '/v1/commissions'], ['GET', '/v1/payouts'], ['GET', '/v1/reports'],
    ];
    for (const [method, p] of paths) {
      const o = { key: aff.api_key };
      if (method !== 'GET') o.body = {};
      h.expectError(await srv.api(method, p, o), 403, 'forbidden', undefined, `${method} ${p}`);
    }
  });

  it('invalid JSON is 400 invalid_json on every JSON endpoint', async () => {
    for (const [method, p] of [['POST', '/v1/programs'], ['POST', '/v1/affiliates'], ['POST', '/v1/links'], ['POST', '/v1/coupons'],
      ['PATCH', `/v1/programs/${prog.id}`], ['PATCH', `/v1/links/${link.id}`], ['POST', '/v1/conversions']]) {
      for (const raw of ['{"name":', '{name: 1}', "{'a':1}", '{"a":1}}']) {
        const r = await srv.api(method, p, { rawBody: raw, headers: { 'content-type': 'application/json' } });
        h.expectError(r, 400, 'invalid_json', undefined, `${method} ${p} ${raw}`);
      }
    }
    const arr = await srv.api('POST', '/v1/programs', { body: [1, 2] });
    h.expectError(arr, 400, ['invalid_json', 'invalid_argument'], undefined, 'array body');
  });

  it('bodies above the default max_body_bytes (65536) are 413 too_large', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(70000), currency: 'USD', destination_url: 'https://a.example/' });
    const r = await rawJson(srv, 'POST', '/v1/programs', big, srv.adminKey);
    h.expectError(r, 413, 'too_large');
    const justUnder = JSON.stringify({ name: 'n', currency: 'USD', destination_url: 'https://a.example/', pad: 'p'.repeat(60000) });
    const ok = await rawJson(srv, 'POST', '/v1/programs', justUnder, srv.adminKey);
    assert.notEqual(ok.status, 413, 'a 60 kB body is accepted by the size limit');
    const form = `token=${prog.postback_token}&order_id=x&pad=${'p'.repeat(70000)}`;
    const pb = await srv.raw('POST', '/postback', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form, agent: false });
    h.expectError(pb, 413, 'too_large', undefined, 'POST /postback');
  });

  it('--max-body-bytes sets the limit', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(2000), currency: 'USD', destination_url: 'https://a.example/' });
    h.expectError(await rawJson(small, 'POST', '/v1/programs', body, small.adminKey), 413, 'too_large');
    const fits = JSON.stringify({ name: 'x'.repeat(100), currency: 'USD', destination_url: 'https://a.example/' });
    const r = await rawJson(small, 'POST', '/v1/programs', fits, small.adminKey);
    assert.equal(r.status, 201, r.text);
  });

  it('the server keeps serving after errors', async () => {
    const r = await srv.api('GET', '/healthz', { key: null });
    assert.equal(r.status, 200);
    await h.clickOk(srv, link.code);
  });
});
