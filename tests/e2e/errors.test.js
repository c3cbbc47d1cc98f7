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

  // The Allow header names the path's methods (RFC 9110: a 405 must), a GET path's HEAD
  // too, in the order of the route table.
  it('a 405 says in Allow which methods the path takes', async () => {
    for (const [method, path, allow] of [['PUT', '/v1/programs', 'POST, GET, HEAD'], ['DELETE', `/v1/programs/${prog.id}`, 'GET, HEAD, PATCH'],
      ['GET', '/v1/conversions/1/refund', 'POST'], ['POST', '/healthz', 'GET, HEAD'], ['PUT', '/v1/creatives/1', 'GET, HEAD, DELETE'],
      ['PATCH', '/v1/session', 'POST, GET, HEAD, DELETE'], ['POST', `/r/${link.code}`, 'GET, HEAD']]) {
      const r = await srv.api(method, path, { body: method === 'GET' ? undefined : {} });
      h.expectError(r, 405, 'method_not_allowed', undefined, `${method} ${path}`);
      assert.equal(r.headers.get('allow'), allow, `${method} ${path}: Allow`);
      assert.ok(r.json.error.message.endsWith(allow), `${method} ${path}: the message names them: ${r.json.error.message}`);
    }
    const head = await srv.raw('HEAD', '/v1/conversions/bulk', { headers: { authorization: `Bearer ${srv.adminKey}` } });
    assert.equal(head.status, 405, 'HEAD of a POST-only path');
    assert.equal(head.headers.allow, 'POST');
    const none = await srv.api('GET', '/v1/nope');
    assert.equal(none.headers.get('allow'), null, 'a 404 has no Allow');
  });

  // A path is one resource whatever the method: where a route's text meets another's id
  // (/v1/conversions/bulk and /v1/conversions/{id}, /v1/payouts/run and /v1/payouts/{id},
  // /v1/creatives/image and /v1/creatives/{id}) the text wins, so another method on it is
  // 405 for everyone, not a lookup of the id "bulk" (404 for an admin, 403 for an
  // affiliate), and the ids keep their routes.
  it('a wrong method on an action path is 405 for any caller, not the id route\'s answer', async () => {
    for (const [method, path, allow] of [['GET', '/v1/conversions/bulk', 'POST'], ['PATCH', '/v1/conversions/bulk', 'POST'],
      ['GET', '/v1/payouts/run', 'POST'], ['GET', '/v1/creatives/image', 'POST'], ['DELETE', '/v1/creatives/image', 'POST']]) {
      for (const [who, key] of [['admin', undefined], ['affiliate', aff.api_key], ['nobody', null]]) {
        const r = await srv.api(method, path, { key, body: method === 'GET' ? undefined : {} });
        h.expectError(r, 405, 'method_not_allowed', undefined, `${method} ${path} as ${who}`);
        assert.equal(r.headers.get('allow'), allow, `${method} ${path} as ${who}: Allow`);
      }
    }
    // the id routes beside them are untouched
    h.expectError(await srv.api('GET', '/v1/conversions/987654'), 404, 'not_found');
    h.expectError(await srv.api('GET', '/v1/conversions/987654', { key: aff.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('GET', '/v1/payouts/987654'), 404, 'not_found');
    h.expectError(await srv.api('DELETE', '/v1/creatives/987654'), 404, 'not_found');
    h.expectStatus(await srv.api('POST', '/v1/conversions/bulk', { body: { action: 'approve', ids: [987654] } }), 200, 'POST bulk still routed');
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

  const GIF = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([0x78, 0x00, 0x3c, 0x00]), Buffer.alloc(20)]);
  // A query (or postback form) that does not decode names the parameter at fault, as every
  // other bad input does: its decoded name, or its text as sent when the name itself is
  // the malformed part.
  it('a malformed percent-escape is 422 naming the parameter', async () => {
    for (const [method, path, field, key] of [
      ['GET', '/v1/conversions?limit=%zz', 'limit'],
      ['GET', '/v1/conversions?status=pending&program_id=1%2', 'program_id'],
      ['GET', '/v1/affiliates?q=%00', 'q'],
      ['GET', '/v1/me/commissions?limit=%zz', 'limit', aff.api_key],
      ['GET', '/v1/reports?from=%zz', 'from'],
      ['GET', '/v1/me/reports?group_by=day&to=%G1', 'to', aff.api_key],
      ['GET', '/v1/payout-runs/1/export?format=%zz', 'format'],
      ['GET', `/postback?token=${prog.postback_token}&order_id=o1&amount=4%z`, 'amount', null],
      ['GET', '/v1/clicks?%zz=1', '%zz'],
      ['GET', '/v1/programs?format=json&sort%=name', 'sort%'],
    ]) {
      const r = await srv.api(method, path, key === undefined ? {} : { key });
      h.expectError(r, 422, 'invalid_argument', field, `${method} ${path}`);
      assert.match(r.json.error.message, /malformed percent-escape/, `${path}: message`);
    }
    const img = await srv.api('POST', `/v1/creatives/image?program_id=${prog.id}&name=%zz`,
      { rawBody: GIF, headers: { 'content-type': 'image/gif' } });
    h.expectError(img, 422, 'invalid_argument', 'name', 'creative upload');
    const form = await srv.api('POST', '/postback', {
      key: null, rawBody: `token=${prog.postback_token}&order_id=o2&currency=%u`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    h.expectError(form, 422, 'invalid_argument', 'currency', 'postback form body');
    // a name that cannot be a field (not printable ASCII once decoded): no field
    const odd = await srv.api('GET', '/v1/conversions?%C3%A9=%zz');
    h.expectError(odd, 422, 'invalid_argument', undefined, 'non-ASCII name');
    assert.equal(odd.json.error.field, undefined, 'no field for a name that is not printable ASCII');
    // more pairs than the server reads: a bound exceeded (413, STYLE 6), no one parameter at fault
    const many = await srv.api('GET', `/v1/conversions?${Array.from({ length: 65 }, (_, i) => `p${i}=1`).join('&')}`);
    h.expectError(many, 413, 'too_large', undefined, '65 parameters');
    assert.equal(many.json.error.field, undefined, 'too many parameters: no field');
    assert.match(many.json.error.message, /more than 64 parameters/);
  });

  it('the server keeps serving after errors', async () => {
    const r = await srv.api('GET', '/healthz', { key: null });
    assert.equal(r.status, 200);
    await h.clickOk(srv, link.code);
  });
});
