'use strict';
// GET/HEAD /r/{code}: Location, cookie, stored click, subs and aliases, deep links and
// open-redirect refusals, HEAD, unique clicks, first_click cookie, trusted proxies,
// GET /v1/clicks.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const h = require('./helpers');

const DEST = 'https://shop.example.com/landing?x=1#top';

function cookieAttrs(setCookie) {
  const line = setCookie.find((c) => /^\s*afftrack_click=/.test(c));
  assert.ok(line, `an afftrack_click cookie in ${JSON.stringify(setCookie)}`);
  const parts = line.split(';').map((s) => s.trim());
  const attrs = {};
  for (const p of parts.slice(1)) {
    const [k, ...v] = p.split('=');
    attrs[k.toLowerCase()] = v.length ? v.join('=') : true;
  }
  return { value: parts[0].slice('afftrack_click='.length), attrs, line };
}

async function clicksOfLink(srv, linkId) {
  return h.listAll(srv, `/v1/clicks?link_id=${linkId}`, { idField: 'click_id' });
}

function expectNoRedirect(c, status, what) {
  assert.equal(c.status, status, `${what}: expected ${status}, got ${c.status} (Location ${c.location})`);
  assert.equal(c.location, null, `${what}: no Location header`);
  assert.equal(c.cookie, null, `${what}: no afftrack_click cookie`);
  assert.match(String(c.res.headers['content-type']), /^text\/html/, `${what}: text/html page`);
}

describe('redirect /r/{code}', () => {
  let srv; let prog; let aff; let link;
  before(async () => {
    srv = await h.startServer();
    prog = await h.createProgram(srv, {
      destination_url: DEST,
      allowed_domains: ['shop.example.com', 'good.com', '*.good.com', 'xn--bcher-kva.example'],
      cookie_days: 7,
    });
    aff = await h.createAffiliate(srv);
    link = await h.createLink(srv, prog.id, aff.id);
  });
  after(async () => { if (srv) await srv.cleanup(); });

  it('302 to the destination with the click id before the fragment, and the cookie', async () => {
    const c = await h.clickOk(srv, link.code, { headers: { 'user-agent': 'UA-basic/1', referer: 'https://blog.example.org/post' } });
    assert.equal(c.location, `https://shop.example.com/landing?x=1&click_id=${c.clickId}#top`);
    const { value, attrs } = cookieAttrs(c.setCookie);
    assert.equal(value, c.clickId);
    assert.equal(attrs['max-age'], String(7 * 86400));
    assert.equal(attrs.path, '/');
    assert.equal(attrs.httponly, true);
    assert.equal(String(attrs.samesite).toLowerCase(), 'lax');
    assert.ok(!('secure' in attrs), 'no Secure without a trusted proxy saying https');

    const g = await srv.api('GET', `/v1/clicks/${c.clickId}`);
    h.expectStatus(g, 200, 'GET /v1/clicks/{id}');
    const k = g.json;
    assert.equal(k.click_id, c.clickId);
    assert.match(k.ts, h.ISO_TIME_RE);
    assert.ok(Math.abs(Date.parse(k.ts) - Date.now()) < 60000, 'ts is now');
    assert.equal(k.program_id, prog.id);
    assert.equal(k.affiliate_id, aff.id);
    assert.equal(k.link_id, link.id);
    assert.equal(k.ip, '127.0.0.1');
    assert.equal(k.user_agent, 'UA-basic/1');
    assert.equal(k.referer, 'https://blog.example.org/post');
    for (const s of ['sub1', 'sub2', 'sub3', 'sub4', 'sub5', 'source_id']) assert.equal(k[s] ?? null, null, s);
    assert.equal(k.unique, true);
  });

  it('every click gets a new click id', async () => {
    const ids = new Set();
    for (let i = 0; i < 5; i++) ids.add((await h.clickOk(srv, link.code)).clickId);
    assert.equal(ids.size, 5);
  });

  it('stores sub1..sub5 and source_id; link defaults fill missing subs', async () => {
    const l = await h.createLink(srv, prog.id, aff.id, { sub1: 'L1', sub2: 'L2', sub5: 'L5' });
    const c = await h.clickOk(srv, l.code, { query: { sub2: 'U2', sub3: 'U3', sub4: 'hello world+ü', source_id: 'src-9' } });
    const k = (await srv.api('GET', `/v1/clicks/${c.clickId}`)).json;
    assert.equal(k.sub1, 'L1');
    assert.equal(k.sub2, 'U2');
    assert.equal(k.sub3, 'U3');
    assert.equal(k.sub4, 'hello world+ü');
    assert.equal(k.sub5, 'L5');
    assert.equal(k.source_id, 'src-9');
    const c2 = await h.clickOk(srv, l.code, { query: '?sub1=a%20b+c' });
    assert.equal((await srv.api('GET', `/v1/clicks/${c2.clickId}`)).json.sub1, 'a b c', "'+' and %20 decode to spaces");
  });

  it('aff_sub, aff_sub2..aff_sub5 are aliases of sub1..sub5', async () => {
    const c = await h.clickOk(srv, link.code, { query: { aff_sub: 'A1', aff_sub2: 'A2', aff_sub3: 'A3', aff_sub4: 'A4', aff_sub5: 'A5' } });
    const k = (await srv.api('GET', `/v1/clicks/${c.clickId}`)).json;
    assert.deepEqual([k.sub1, k.sub2, k.sub3, k.sub4, k.sub5], ['A1', 'A2', 'A3', 'A4', 'A5']);
  });

  it('a sub value of 255 bytes is fine, 256 bytes is a 400 page and records nothing', async () => {
    const ok = await h.clickOk(srv, link.code, { query: { sub1: 's'.repeat(255) } });
    assert.equal((await srv.api('GET', `/v1/clicks/${ok.clickId}`)).json.sub1, 's'.repeat(255));
    const l = await h.createLink(srv, prog.id, aff.id);
    expectNoRedirect(await h.click(srv, l.code, { query: { sub1: 's'.repeat(256) } }), 400, 'sub1 256 bytes');
    expectNoRedirect(await h.click(srv, l.code, { query: { aff_sub3: 's'.repeat(300) } }), 400, 'aff_sub3 300 bytes');
    // 128 x 'é' is 128 characters but 256 bytes after decoding
    expectNoRedirect(await h.click(srv, l.code, { query: { sub2: 'é'.repeat(128) } }), 400, 'sub2 256 bytes of UTF-8');
    expectNoRedirect(await h.click(srv, l.code, { query: { source_id: 'x'.repeat(256) } }), 400, 'source_id 256 bytes');
    expectNoRedirect(await h.click(srv, l.code, { query: '?sub1=%zz' }), 400, 'malformed escape');
    assert.equal((await clicksOfLink(srv, l.id)).length, 0, 'nothing recorded');
  });

  it('appends the click id under the program click_id_param', async () => {
    const p = await h.createProgram(srv, { destination_url: 'https://m.example.com/p?utm=a', click_id_param: 'clickref' });
    const l = await h.createLink(srv, p.id, aff.id);
    const c = await h.clickOk(srv, l.code, { param: 'clickref' });
    assert.equal(c.location, `https://m.example.com/p?utm=a&clickref=${c.clickId}`);
    assert.equal(new URL(c.location).searchParams.get('click_id'), null);
    h.expectStatus(await srv.api('GET', `/v1/clicks/${c.clickId}`), 200);
  });

  it('uses the link destination over the program destination', async () => {
    const l = await h.createLink(srv, prog.id, aff.id, { destination_url: 'https://www.good.com/sale' });
    const c = await h.clickOk(srv, l.code);
    assert.equal(c.location, `https://www.good.com/sale?click_id=${c.clickId}`);
  });

  it('deep links to allowed hosts redirect there', async () => {
    for (const target of [
      'https://sub.good.com/page?a=1',
      'https://good.com/x',
      'http://a.b.good.com/',
      'https://SHOP.example.com/upper',
      'https://xn--bcher-kva.example/buch',
    ]) {
      const c = await h.clickOk(srv, link.code, { query: { url: target } });
      const u = new URL(c.location);
      const expected = new URL(target);
      assert.equal(u.host, expected.host, `${target} -> ${c.location}`);
      assert.equal(u.pathname, expected.pathname);
      assert.equal(u.protocol, expected.protocol);
      for (const [k, v] of expected.searchParams) assert.equal(u.searchParams.get(k), v);
      assert.equal(u.searchParams.get('click_id'), c.clickId);
      assert.ok(c.cookie, 'cookie set');
    }
    const c = await h.clickOk(srv, link.code, { query: { url: 'https://sub.good.com/page?a=1#frag' } });
    assert.equal(c.location, `https://sub.good.com/page?a=1&click_id=${c.clickId}#frag`);
  });

  it('refuses open-redirect attempts with a 400 page, no Location, no click', async () => {
    const l = await h.createLink(srv, prog.id, aff.id);
    const attempts = [
      'https://evil.com',
      'https://evil.com/',
      'https://good.com@evil.com/',
      'https://good.com:pw@evil.com/',
      'https://good.com.evil.com/',
      'https://evilgood.com/',
      'https://evil.com\\@good.com/',
      'https://good.com\\@evil.com/',
      'https:\\\\evil.com/',
      'https:/\\evil.com/',
      '\\\\evil.com',
      '//evil.com/',
      '/\\evil.com/',
      'evil.com',
      '/relative/path',
      'javascript:alert(1)',
      'data:text/html,hi',
      'ftp://good.com/',
      'https://%65vil.com/',
      'https://good%2ecom/',
      'https://g\u043e\u043ed.com/',
      'https://bücher.example/',
      'https://evil.com#.good.com',
      'https:evil.com',
      'https://[::1]/',
      'https:// good.com/',
    ];
    for (const target of attempts) {
      const c = await h.click(srv, l.code, { query: { url: target } });
      expectNoRedirect(c, 400, `url=${target}`);
    }
    // raw (not re-encoded) forms too
    for (const raw of ['?url=https://evil.com', '?url=https://good.com%40evil.com', '?url=https:%5C%5Cevil.com', '?url=%2F%2Fevil.com']) {
      expectNoRedirect(await h.click(srv, l.code, { query: raw }), 400, raw);
    }
    assert.equal((await clicksOfLink(srv, l.id)).length, 0, 'no click stored for any refused deep link');
  });

  it('unknown code is a 404 page', async () => {
    const c = await h.click(srv, 'no-such-code-' + h.uniq());
    expectNoRedirect(c, 404, 'unknown code');
  });

  it('HEAD answers 302 to the destination without click id or cookie and records nothing', async () => {
    const l = await h.createLink(srv, prog.id, aff.id);
    const c = await h.click(srv, l.code, { method: 'HEAD' });
    assert.equal(c.status, 302);
    assert.equal(c.location, DEST);
    assert.equal(c.setCookie.length, 0, `no Set-Cookie: ${JSON.stringify(c.setCookie)}`);
    const d = await h.click(srv, l.code, { method: 'HEAD', query: { url: 'https://sub.good.com/p' } });
    assert.equal(d.status, 302);
    assert.equal(d.location, 'https://sub.good.com/p');
    assert.equal((await clicksOfLink(srv, l.id)).length, 0, 'HEAD records nothing');
    const e = await h.click(srv, 'no-such-code-' + h.uniq(), { method: 'HEAD' });
    assert.equal(e.status, 404);
  });

  it('POST /r/{code} is 405', async () => {
    const r = await srv.raw('POST', `/r/${link.code}`, { body: '' });
    assert.equal(r.status, 405);
  });

  it('unique: the same link, IP and user agent count once', async () => {
    const l = await h.createLink(srv, prog.id, aff.id);
    const a1 = await h.clickOk(srv, l.code, { headers: { 'user-agent': 'UA-same' } });
    const a2 = await h.clickOk(srv, l.code, { headers: { 'user-agent': 'UA-same' } });
    const b1 = await h.clickOk(srv, l.code, { headers: { 'user-agent': 'UA-other' } });
    const l2 = await h.createLink(srv, prog.id, aff.id);
    const c1 = await h.clickOk(srv, l2.code, { headers: { 'user-agent': 'UA-same' } });
    const u = async (id) => (await srv.api('GET', `/v1/clicks/${id}`)).json.unique;
    assert.equal(await u(a1.clickId), true);
    assert.equal(await u(a2.clickId), false);
    assert.equal(await u(b1.clickId), true);
    assert.equal(await u(c1.clickId), true, 'another link is another window');
    const rep = await srv.api('GET', `/v1/reports?from=${h.utcDay(-1)}&to=${h.utcDay(1)}&group_by=link&link_id=${l.id}`);
    h.expectStatus(rep, 200);
    assert.equal(rep.json.totals.clicks, 3);
    assert.equal(rep.json.totals.unique_clicks, 2);
  });

  it('last_click: a new click replaces the cookie', async () => {
    const c1 = await h.clickOk(srv, link.code);
    const c2 = await h.clickOk(srv, link.code, { headers: { cookie: `afftrack_click=${c1.clickId}` } });
    assert.notEqual(c2.clickId, c1.clickId);
    assert.equal(c2.cookie, c2.clickId, 'cookie overwritten with the new click');
  });

  // A browser's cookie jar for one host: applies Set-Cookie lines, sends them back.
  function jar() {
    const cookies = new Map();
    return {
      header: () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      apply(setCookie) {
        for (const line of setCookie) {
          const [nv, ...attrs] = line.split(';');
          const i = nv.indexOf('=');
          const name = nv.slice(0, i).trim();
          const maxAge = attrs.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('max-age='));
          if (maxAge && Number(maxAge.slice(8)) <= 0) cookies.delete(name); else cookies.set(name, nv.slice(i + 1).trim());
        }
      },
      get: (name) => cookies.get(name),
    };
  }

  it('first_click: the program keeps its first click in its own cookie; afftrack_click follows the latest', async () => {
    const p = await h.createProgram(srv, { attribution: 'first_click' });
    const l = await h.createLink(srv, p.id, aff.id);
    const own = `afftrack_fc${p.id}`;
    const j = jar();
    const first = await h.clickOk(srv, l.code);
    assert.equal(first.cookie, first.clickId, 'first click sets afftrack_click');
    j.apply(first.setCookie);
    assert.equal(j.get(own), first.clickId, `first click sets ${own}`);
    const second = await h.clickOk(srv, l.code, { headers: { cookie: j.header() } });
    assert.notEqual(second.clickId, first.clickId, 'redirect carries the new click id');
    assert.ok(!second.setCookie.some((c) => c.startsWith(`${own}=`)), `${own} not overwritten: ${JSON.stringify(second.setCookie)}`);
    j.apply(second.setCookie);
    assert.equal(j.get('afftrack_click'), second.clickId, 'afftrack_click holds the latest click');
    assert.equal(j.get(own), first.clickId);
    h.expectStatus(await srv.api('GET', `/v1/clicks/${second.clickId}`), 200, 'second click recorded');
    // the pixel credits the first click
    const order = h.uniq('fc');
    const px = await srv.raw('GET', `/px.gif${h.qs({ program_id: p.id, order_id: order, amount: '5' })}`, { headers: { cookie: j.header() } });
    assert.equal(px.status, 200);
    const conv = (await h.listAll(srv, `/v1/conversions?program_id=${p.id}`)).find((c) => c.order_id === order);
    assert.ok(conv, 'pixel conversion stored');
    assert.equal(conv.method, 'cookie');
    assert.equal(conv.click_id, first.clickId);
  });

  it('first_click: clicks on other programs do not displace the first click', async () => {
    const p = await h.createProgram(srv, { attribution: 'first_click' });
    const l = await h.createLink(srv, p.id, aff.id);
    const own = `afftrack_fc${p.id}`;
    const j = jar();
    const first = await h.clickOk(srv, l.code);
    j.apply(first.setCookie);
    // the same browser then clicks a last_click program's link: afftrack_click changes, ours stays
    const other = await h.clickOk(srv, link.code, { headers: { cookie: j.header() } });
    j.apply(other.setCookie);
    assert.equal(j.get('afftrack_click'), other.clickId);
    assert.equal(j.get(own), first.clickId);
    const order = h.uniq('fc2');
    await srv.raw('GET', `/px.gif${h.qs({ program_id: p.id, order_id: order, amount: '5' })}`, { headers: { cookie: j.header() } });
    const conv = (await h.listAll(srv, `/v1/conversions?program_id=${p.id}`)).find((c) => c.order_id === order);
    assert.ok(conv, 'pixel conversion stored from the program\'s own cookie');
    assert.equal(conv.click_id, first.clickId);
  });

  it('first_click: a forged or foreign first-click cookie is replaced', async () => {
    const p = await h.createProgram(srv, { attribution: 'first_click' });
    const l = await h.createLink(srv, p.id, aff.id);
    const own = `afftrack_fc${p.id}`;
    const first = await h.clickOk(srv, l.code);
    for (const bad of [h.forgeClickId(first.clickId), 'garbage']) {
      const next = await h.clickOk(srv, l.code, { headers: { cookie: `${own}=${bad}` } });
      const set = next.setCookie.find((c) => c.startsWith(`${own}=`));
      assert.ok(set, `${own}=${bad} is replaced: ${JSON.stringify(next.setCookie)}`);
      assert.equal(set.split(';')[0], `${own}=${next.clickId}`);
    }
  });

  it('without trusted proxies the stored ip is the peer and X-Forwarded-* are ignored', async () => {
    const c = await h.clickOk(srv, link.code, { headers: { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' } });
    const k = (await srv.api('GET', `/v1/clicks/${c.clickId}`)).json;
    assert.equal(k.ip, '127.0.0.1');
    assert.ok(!('secure' in cookieAttrs(c.setCookie).attrs), 'no Secure from an untrusted X-Forwarded-Proto');
  });

  it('GET /v1/clicks lists with filters and paging by click id', async () => {
    const p = await h.createProgram(srv);
    const a2 = await h.createAffiliate(srv);
    const la = await h.createLink(srv, p.id, aff.id);
    const lb = await h.createLink(srv, p.id, a2.id);
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await h.clickOk(srv, la.code)).clickId);
    for (let i = 0; i < 2; i++) ids.push((await h.clickOk(srv, lb.code)).clickId);
    const byProg = await h.listAll(srv, `/v1/clicks?program_id=${p.id}`, { idField: 'click_id' });
    assert.deepEqual(byProg.map((k) => k.click_id).sort(), [...ids].sort());
    const byAff = await h.listAll(srv, `/v1/clicks?program_id=${p.id}&affiliate_id=${a2.id}`, { idField: 'click_id' });
    assert.deepEqual(byAff.map((k) => k.click_id).sort(), ids.slice(3).sort());
    const byLink = await h.listAll(srv, `/v1/clicks?link_id=${la.id}`, { idField: 'click_id' });
    assert.deepEqual(byLink.map((k) => k.click_id).sort(), ids.slice(0, 3).sort());
    const paged = await h.listAll(srv, `/v1/clicks?program_id=${p.id}`, { idField: 'click_id', limit: 2 });
    assert.deepEqual(paged.map((k) => k.click_id), byProg.map((k) => k.click_id));
    h.expectError(await srv.api('GET', `/v1/clicks/${ids[0]}`, { key: aff.api_key }), 403, 'forbidden');
    h.expectError(await srv.api('GET', '/v1/clicks', { key: null }), 401, 'unauthenticated');
  });
});

describe('redirect behind a trusted proxy', () => {
  let srv; let link;
  before(async () => {
    srv = await h.startServer({ args: ['--trusted-proxies', '127.0.0.1,10.0.0.0/8', '--unique-window-hours', '24'] });
    ({ link } = await h.setup(srv));
  });
  after(async () => { if (srv) await srv.cleanup(); });

  const cases = [
    [undefined, '127.0.0.1'],
    ['203.0.113.7', '203.0.113.7'],
    ['198.51.100.1, 203.0.113.8', '203.0.113.8'],
    ['203.0.113.9, 127.0.0.1', '203.0.113.9'],
    ['198.51.100.2, 203.0.113.10, 10.1.2.3', '203.0.113.10'],
  ];
  for (const [xff, ip] of cases) {
    it(`X-Forwarded-For ${xff} -> ip ${ip}`, async () => {
      const headers = xff ? { 'x-forwarded-for': xff } : {};
      const c = await h.clickOk(srv, link.code, { headers });
      const k = (await srv.api('GET', `/v1/clicks/${c.clickId}`)).json;
      assert.equal(k.ip, ip);
    });
  }

  it('X-Forwarded-Proto https from a trusted proxy adds Secure', async () => {
    const c = await h.clickOk(srv, link.code, { headers: { 'x-forwarded-for': '203.0.113.20', 'x-forwarded-proto': 'https' } });
    assert.equal(cookieAttrs(c.setCookie).attrs.secure, true, c.setCookie.join(' | '));
    const d = await h.clickOk(srv, link.code, { headers: { 'x-forwarded-for': '203.0.113.20', 'x-forwarded-proto': 'http' } });
    assert.ok(!('secure' in cookieAttrs(d.setCookie).attrs));
  });

  it('unique clicks use the forwarded client ip', async () => {
    const ua = { 'user-agent': 'UA-proxy-unique' };
    const a = await h.clickOk(srv, link.code, { headers: { ...ua, 'x-forwarded-for': '192.0.2.1' } });
    const b = await h.clickOk(srv, link.code, { headers: { ...ua, 'x-forwarded-for': '192.0.2.2' } });
    const c = await h.clickOk(srv, link.code, { headers: { ...ua, 'x-forwarded-for': '192.0.2.1' } });
    const u = async (id) => (await srv.api('GET', `/v1/clicks/${id}`)).json.unique;
    assert.equal(await u(a.clickId), true);
    assert.equal(await u(b.clickId), true);
    assert.equal(await u(c.clickId), false);
  });
});
