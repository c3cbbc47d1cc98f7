'use strict';
// Portal content (docs/api.md "Portal content"): program terms and applications per
// program, creatives (banners sniffed from their bytes, texts) with each affiliate's own
// snippet, the public banner URL, announcements; and that an affiliate never reaches
// another affiliate's programs' content.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { startServer, expectError, expectStatus, uniq, createProgram, createAffiliate, createLink } = require('./helpers');

// A 300x250 PNG header (type and size come from the first 24 bytes; the rest is not decoded).
function png(w = 300, h = 250) {
  const b = Buffer.alloc(40);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(b, 0);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return b;
}
const GIF = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.from([0x78, 0x00, 0x3c, 0x00]), Buffer.alloc(20)]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x4a, 0x46, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x5a, 0x00, 0xa0, 0x03]);
const WEBP = (() => { const b = Buffer.alloc(30); b.write('RIFF', 0, 'latin1'); b.write('WEBPVP8X', 8, 'latin1'); b.writeUIntLE(727, 24, 3); b.writeUIntLE(89, 27, 3); return b; })();

function upload(srv, query, bytes, o = {}) {
  return srv.api('POST', `/v1/creatives/image${query}`, { rawBody: bytes, headers: { 'content-type': o.type || 'image/png' }, ...o });
}

async function world() {
  const srv = await startServer();
  const p1 = await createProgram(srv, { name: 'Shop One' });
  const p2 = await createProgram(srv, { name: 'Shop Two' });
  const alice = await createAffiliate(srv, { name: 'Alice' });
  const bob = await createAffiliate(srv, { name: 'Bob' });
  const aliceLink = await createLink(srv, p1.id, alice.id, { code: uniq('alice') });
  const bobLink = await createLink(srv, p2.id, bob.id, { code: uniq('bob') });
  const as = (aff) => ({ key: aff.api_key });
  return { srv, p1, p2, alice, bob, aliceLink, bobLink, as };
}

test('program terms: versioned by text, hashed, validated; applications need terms', async () => {
  const { srv, p1 } = await world();
  try {
    const empty = await srv.api('GET', `/v1/programs/${p1.id}/terms`);
    expectStatus(empty, 200, 'terms of a program without any');
    assert.deepEqual({ ...empty.json, updated_at: null }, { program_id: p1.id, description: '', terms: '', terms_version: 0,
      terms_hash: null, applications_open: false, updated_at: null });
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { applications_open: true } }), 422, 'invalid_argument', 'terms');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: '', applications_open: true } }), 422, 'invalid_argument', 'terms');
    assert.equal((await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: '' } })).json.terms_version, 0, 'no text is no version');
    const t = 'Rule 1: no spam.\n\tRule 2: no brand bidding.';
    const r = await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: t, description: 'We sell shoes.', applications_open: true } });
    expectStatus(r, 200, 'set terms');
    assert.equal(r.json.terms, t);
    assert.equal(r.json.terms_version, 1);
    assert.equal(r.json.terms_hash, require('node:crypto').createHash('sha256').update(t).digest('hex'));
    // the same text again is not a new version; another text is
    assert.equal((await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: t } })).json.terms_version, 1);
    assert.equal((await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { description: 'Shoes and socks.' } })).json.terms_version, 1);
    const v2 = await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: `${t}\nRule 3.` } });
    assert.equal(v2.json.terms_version, 2);
    assert.equal(v2.json.description, 'Shoes and socks.');
    assert.equal(v2.json.applications_open, true);
    // bad input
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: 5 } }), 422, 'invalid_argument', 'terms');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: 'a\u0001b' } }), 422, 'invalid_argument', 'terms');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: 'x'.repeat(20001) } }), 422, 'invalid_argument', 'terms');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { description: 'x'.repeat(2001) } }), 422, 'invalid_argument', 'description');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { applications_open: 'yes' } }), 422, 'invalid_argument', 'applications_open');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { color: 'red' } }), 422, 'invalid_argument', 'color');
    expectError(await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { rawBody: '{', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    expectError(await srv.api('PATCH', '/v1/programs/999/terms', { body: { terms: 'x' } }), 404, 'not_found');
    expectError(await srv.api('GET', '/v1/programs/999/terms'), 404, 'not_found');
    expectError(await srv.api('GET', `/v1/programs/${p1.id}/terms`, { key: 'nope' }), 401, 'unauthenticated');
    // the public page: only while open
    const pub = await srv.raw('GET', `/v1/public/programs/${p1.id}`);
    expectStatus(pub, 200, 'public program page');
    assert.deepEqual(Object.keys(pub.json).sort(), ['description', 'id', 'kind', 'name', 'terms', 'terms_hash', 'terms_version']);
    assert.equal(pub.json.terms_version, 2);
    assert.equal(pub.text.includes('postback_token'), false);
    await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { applications_open: false } });
    expectError(await srv.raw('GET', `/v1/public/programs/${p1.id}`), 404, 'not_found');
    expectError(await srv.raw('GET', '/v1/public/programs/999'), 404, 'not_found');
  } finally { await srv.cleanup(); }
});

test('applying to a program: a pending affiliate with its application, the terms version and hash it accepted', async () => {
  const { srv, p1, p2, alice, as } = await world();
  try {
    const apply = (body, headers = {}) => srv.raw('POST', '/v1/signup', { headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const base = { name: 'Carol Blog', email: `${uniq('carol')}@example.com`, password: 'carol password', accept_terms: true };
    // a closed program takes no applications (and the server-wide sign-up is off)
    expectError(await apply({ ...base, program_id: p1.id }), 422, 'invalid_argument', 'program_id');
    expectError(await apply(base), 403, 'forbidden');
    const t = await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: 'Be fair.', applications_open: true } });
    expectError(await apply({ ...base, program_id: p1.id, terms_version: 7 }), 409, 'conflict', 'terms_version');
    expectError(await apply({ ...base, program_id: p1.id, accept_terms: false }), 422, 'invalid_argument', 'accept_terms');
    expectError(await apply({ ...base, program_id: p1.id, website: 'javascript:alert(1)' }), 422, 'invalid_argument', 'website');
    expectError(await apply({ ...base, program_id: 'one' }), 422, 'invalid_argument', 'program_id');
    expectError(await apply({ ...base, program_id: 999 }), 422, 'invalid_argument', 'program_id');
    expectError(await apply({ ...base, website: 'https://x.example' }), 422, 'invalid_argument', 'program_id');
    expectError(await apply({ ...base, program_id: p1.id, promotion: 'x'.repeat(2001) }), 422, 'invalid_argument', 'promotion');
    expectError(await apply({ ...base, program_id: p1.id }, { origin: 'https://evil.example' }), 403, 'forbidden');
    // nothing was created by the refusals
    assert.equal((await srv.api('GET', '/v1/applications')).json.data.length, 0);

    const r = await apply({ ...base, program_id: p1.id, terms_version: 1, website: 'https://carol.example', promotion: 'Reviews\nand a newsletter' });
    expectStatus(r, 201, 'apply');
    assert.equal(r.json.affiliate.status, 'pending');
    assert.equal(r.json.application.program_id, p1.id);
    assert.equal(r.json.application.terms_version, 1);
    assert.equal(r.json.application.terms_hash, t.json.terms_hash);
    assert.equal(r.text.includes('api_key'), false);
    const row = spawnSync('sqlite3', [path.join(srv.dataDir, 'afftrack.db'),
      `SELECT program_id, terms_version, terms_hash, terms_accepted_ms > 0 FROM application WHERE affiliate_id = ${r.json.affiliate.id}`], { encoding: 'utf8' });
    assert.equal(row.stdout.trim(), `${p1.id}|1|${t.json.terms_hash}|1`);
    // a taken email is refused and leaves no application behind
    expectError(await apply({ ...base, program_id: p1.id }), 409, 'already_exists', 'email');

    // the admin's list: the applicant with the program, filters by program and status
    const list = await srv.api('GET', `/v1/applications?program_id=${p1.id}&status=pending`);
    expectStatus(list, 200, 'applications');
    assert.equal(list.json.data.length, 1);
    const a = list.json.data[0];
    assert.equal(a.affiliate_id, r.json.affiliate.id);
    assert.equal(a.name, 'Carol Blog');
    assert.equal(a.website, 'https://carol.example');
    assert.equal(a.promotion, 'Reviews\nand a newsletter');
    assert.equal((await srv.api('GET', `/v1/applications?program_id=${p2.id}`)).json.data.length, 0);
    expectError(await srv.api('GET', '/v1/applications', as(alice)), 403, 'forbidden');
    // approve through the affiliate API; the list follows the affiliate's status
    expectStatus(await srv.api('PATCH', `/v1/affiliates/${a.affiliate_id}`, { body: { status: 'approved' } }), 200, 'approve');
    assert.equal((await srv.api('GET', '/v1/applications?status=pending')).json.data.length, 0);
    assert.equal((await srv.api('GET', '/v1/applications?status=approved')).json.data[0].id, a.id);

    // the applicant's portal shows the program it applied to (no link yet), with the terms
    const s = await srv.raw('POST', '/v1/session', { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: base.email, password: base.password }) });
    expectStatus(s, 200, 'sign in');
    const cookie = s.headers['set-cookie'][0].split(';')[0];
    const mine = await srv.raw('GET', '/v1/me/programs', { headers: { cookie } });
    expectStatus(mine, 200, 'me/programs');
    assert.deepEqual(mine.json.data.map((p) => [p.id, p.terms, p.link]), [[p1.id, 'Be fair.', null]]);
    expectError(await srv.raw('GET', `/v1/me/programs/${p2.id}`, { headers: { cookie } }), 404, 'not_found');
  } finally { await srv.cleanup(); }
});

test('an existing affiliate applies to a further program; admins decide each application', async () => {
  const { srv, p1, p2, alice, bob, as } = await world();
  try {
    await srv.api('PATCH', `/v1/programs/${p2.id}/terms`, { body: { terms: 'Two\'s terms.', applications_open: true } });
    const secret = await srv.api('POST', '/v1/creatives', { body: { program_id: p2.id, name: 'Two only', text: 'two {link}' } });
    const apply = (body, who = alice) => srv.api('POST', '/v1/me/applications', { body, ...as(who) });
    // refusals: terms, closed or unknown programs, a program it is in, bad fields, admins
    expectError(await apply({ program_id: p2.id }), 422, 'invalid_argument', 'accept_terms');
    expectError(await apply({ program_id: p1.id, accept_terms: true }), 422, 'invalid_argument', 'program_id');
    expectError(await apply({ program_id: 999, accept_terms: true }), 422, 'invalid_argument', 'program_id');
    expectError(await apply({ program_id: p2.id, accept_terms: true, terms_version: 9 }), 409, 'conflict', 'terms_version');
    expectError(await apply({ program_id: p2.id, accept_terms: true, website: 'ftp://x' }), 422, 'invalid_argument', 'website');
    expectError(await apply({ program_id: p2.id, accept_terms: true, other: 1 }), 422, 'invalid_argument', 'other');
    expectError(await apply({ program_id: p2.id, accept_terms: true }, bob), 409, 'already_exists', 'program_id');
    expectError(await srv.api('POST', '/v1/me/applications', { body: { program_id: p2.id, accept_terms: true } }), 403, 'forbidden');

    const r = await apply({ program_id: p2.id, accept_terms: true, terms_version: 1, promotion: 'My list' });
    expectStatus(r, 201, 'apply to a second program');
    assert.deepEqual([r.json.status, r.json.signup, r.json.program_id, r.json.terms_version], ['pending', false, p2.id, 1]);
    expectError(await apply({ program_id: p2.id, accept_terms: true }), 409, 'already_exists', 'program_id');
    // pending: the program's terms show, its content does not
    const progs = await srv.api('GET', '/v1/me/programs', as(alice));
    assert.deepEqual(progs.json.data.map((p) => [p.id, p.application && p.application.status]), [[p1.id, null], [p2.id, 'pending']]);
    assert.equal((await srv.api('GET', `/v1/me/creatives/${secret.json.id}`, as(alice))).status, 404);
    assert.equal((await srv.api('GET', `/v1/me/creatives?program_id=${p2.id}`, as(alice))).json.data.length, 0);
    // the admin's list and decisions
    const list = await srv.api('GET', `/v1/applications?program_id=${p2.id}&status=pending`);
    assert.deepEqual(list.json.data.map((a) => [a.id, a.name, a.signup]), [[r.json.id, 'Alice', false]]);
    expectError(await srv.api('POST', `/v1/applications/${r.json.id}/approve`, as(alice)), 403, 'forbidden');
    expectError(await srv.api('POST', '/v1/applications/999/approve'), 404, 'not_found');
    expectError(await srv.api('POST', `/v1/applications/${r.json.id}/approve`, { body: { why: 1 } }), 422, 'invalid_argument', 'why');
    const ok = await srv.api('POST', `/v1/applications/${r.json.id}/approve`);
    expectStatus(ok, 200, 'approve');
    assert.equal(ok.json.status, 'approved');
    assert.ok(ok.json.decided_at);
    // approved: the program's content is hers, with no link yet (so no snippet) until she gets one
    const c = await srv.api('GET', `/v1/me/creatives/${secret.json.id}`, as(alice));
    expectStatus(c, 200, 'content of the approved program');
    assert.equal(c.json.snippet, null);
    const link = await srv.api('POST', '/v1/me/links', { body: { program_id: p2.id }, ...as(alice) });
    expectStatus(link, 201, 'her link in program two');
    assert.equal((await srv.api('GET', `/v1/me/creatives/${secret.json.id}`, as(alice))).json.snippet, `two ${link.json.url}`);
    // a rejected application takes the program's content away again (without a link)
    const carol = await createAffiliate(srv, { name: 'Carol' });
    const rc = await apply({ program_id: p2.id, accept_terms: true }, carol);
    expectStatus(await srv.api('POST', `/v1/applications/${rc.json.id}/reject`), 200, 'reject');
    assert.equal((await srv.api('GET', `/v1/me/creatives?program_id=${p2.id}`, as(carol))).json.data.length, 0);
    const cp = await srv.api('GET', '/v1/me/programs', as(carol));
    assert.deepEqual(cp.json.data.map((p) => [p.id, p.application.status]), [[p2.id, 'rejected']]);
    expectStatus(await apply({ program_id: p2.id, accept_terms: true }, carol), 201, 'apply again after a rejection');
  } finally { await srv.cleanup(); }
});

test('a sign-up application is decided through its affiliate, also from the applications API', async () => {
  const { srv, p1 } = await world();
  try {
    await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: 'T', applications_open: true } });
    const apply = (email) => srv.raw('POST', '/v1/signup', { headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'N', email, password: 'long password', accept_terms: true, program_id: p1.id }) });
    const a = (await apply(`${uniq('a')}@example.com`)).json;
    const b = (await apply(`${uniq('b')}@example.com`)).json;
    const ok = await srv.api('POST', `/v1/applications/${a.application.id}/approve`);
    expectStatus(ok, 200, 'approve a sign-up');
    assert.deepEqual([ok.json.status, ok.json.signup], ['approved', true]);
    assert.equal((await srv.api('GET', `/v1/affiliates/${a.affiliate.id}`)).json.status, 'approved');
    expectStatus(await srv.api('POST', `/v1/applications/${a.application.id}/approve`), 200, 'approve again: no-op');
    expectError(await srv.api('POST', `/v1/applications/${a.application.id}/reject`), 409, 'conflict');
    expectStatus(await srv.api('POST', `/v1/applications/${b.application.id}/reject`), 200, 'reject a sign-up');
    assert.equal((await srv.api('GET', `/v1/affiliates/${b.affiliate.id}`)).json.status, 'rejected');
    assert.deepEqual((await srv.api('GET', '/v1/applications?status=rejected')).json.data.map((x) => x.id), [b.application.id]);
  } finally { await srv.cleanup(); }
});

test('the server-wide sign-up keeps working without program_id and creates no application', async () => {
  const srv = await startServer({ args: ['--affiliate-signup', 'on'] });
  try {
    const r = await srv.raw('POST', '/v1/signup', { headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Dan', email: `${uniq('dan')}@example.com`, password: 'dan password', accept_terms: true }) });
    expectStatus(r, 201, 'server-wide sign-up');
    assert.equal(r.json.application, null);
    assert.equal((await srv.api('GET', '/v1/applications')).json.data.length, 0);
  } finally { await srv.cleanup(); }
});

test('banners: type and size from the bytes, 1 MiB limit, SVG refused, public cacheable URL', async () => {
  const { srv, p1, alice, as } = await world();
  try {
    const r = await upload(srv, `?program_id=${p1.id}&name=${encodeURIComponent('Spring <300x250>')}`, png(), { type: 'text/plain' });
    expectStatus(r, 201, 'upload png');
    assert.equal(r.json.kind, 'image');
    assert.equal(r.json.mime, 'image/png');
    assert.equal(r.json.width, 300);
    assert.equal(r.json.height, 250);
    assert.equal(r.json.bytes, 40);
    assert.equal(r.json.name, 'Spring <300x250>');
    assert.equal(r.json.image_url, `${srv.url}/c/${r.json.id}.png`);
    for (const [bytes, mime, w, h] of [[GIF, 'image/gif', 120, 60], [JPEG, 'image/jpeg', 160, 90], [WEBP, 'image/webp', 728, 90]]) {
      const u = await upload(srv, `?program_id=${p1.id}&name=x`, bytes);
      expectStatus(u, 201, `upload ${mime}`);
      assert.deepEqual([u.json.mime, u.json.width, u.json.height], [mime, w, h]);
    }
    // refusals
    expectError(await upload(srv, `?program_id=${p1.id}&name=x`, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), { type: 'image/svg+xml' }), 422, 'invalid_argument', 'image');
    expectError(await upload(srv, `?program_id=${p1.id}&name=x`, Buffer.from('MZ\x90\x00 not an image')), 422, 'invalid_argument', 'image');
    expectError(await upload(srv, `?program_id=${p1.id}&name=x`, Buffer.alloc(0)), 422, 'invalid_argument', 'image');
    const big = Buffer.concat([png(), Buffer.alloc(1024 * 1024)]);
    expectError(await upload(srv, `?program_id=${p1.id}&name=x`, big), 413, 'too_large', 'image');
    expectError(await upload(srv, `?name=x`, png()), 422, 'invalid_argument', 'program_id');
    expectError(await upload(srv, `?program_id=abc&name=x`, png()), 422, 'invalid_argument', 'program_id');
    expectError(await upload(srv, `?program_id=999&name=x`, png()), 422, 'invalid_argument', 'program_id');
    expectError(await upload(srv, `?program_id=${p1.id}`, png()), 422, 'invalid_argument', 'name');
    expectError(await upload(srv, `?program_id=${p1.id}&name=${'n'.repeat(201)}`, png()), 422, 'invalid_argument', 'name');
    expectError(await upload(srv, `?program_id=${p1.id}&name=x`, png(), as(alice)), 403, 'forbidden');
    expectError(await upload(srv, `?program_id=${p1.id}&name=x`, png(), { key: 'nope' }), 401, 'unauthenticated');
    // the public URL: the same bytes, cacheable, never sniffed, 304 on revalidation
    const img = await srv.raw('GET', `/c/${r.json.id}.png`);
    expectStatus(img, 200, 'banner');
    assert.equal(img.headers['content-type'], 'image/png');
    assert.deepEqual(img.body, png());
    assert.equal(img.headers['x-content-type-options'], 'nosniff');
    assert.match(img.headers['cache-control'], /max-age=31536000/);
    assert.match(img.headers['content-security-policy'], /sandbox/);
    assert.ok(img.headers.etag);
    const again = await srv.raw('GET', `/c/${r.json.id}.png`, { headers: { 'if-none-match': img.headers.etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    expectError(await srv.raw('GET', '/c/999.png'), 404, 'not_found');
    expectError(await srv.raw('GET', `/c/${r.json.id}.svg`), 404, 'not_found');
    expectError(await srv.raw('GET', `/c/${r.json.id}`), 404, 'not_found');
    expectError(await srv.raw('GET', '/c/x1.png'), 404, 'not_found');
    // delete: gone from the list and the URL
    expectStatus(await srv.api('DELETE', `/v1/creatives/${r.json.id}`), 200, 'delete');
    expectError(await srv.api('DELETE', `/v1/creatives/${r.json.id}`), 404, 'not_found');
    expectError(await srv.raw('GET', `/c/${r.json.id}.png`), 404, 'not_found');
    expectError(await srv.api('GET', `/v1/creatives/${r.json.id}`), 404, 'not_found');
    assert.equal((await srv.api('GET', `/v1/creatives?program_id=${p1.id}`)).json.data.length, 3);
  } finally { await srv.cleanup(); }
});

test('text creatives: validation; each affiliate gets its own link in the snippet and only its programs', async () => {
  const { srv, p1, p2, alice, bob, aliceLink, bobLink, as } = await world();
  try {
    const t = await srv.api('POST', '/v1/creatives', { body: { program_id: p1.id, name: 'Tweet', text: 'Shoes on sale: {link} (use it twice: {link})' } });
    expectStatus(t, 201, 'text creative');
    assert.equal(t.json.kind, 'text');
    assert.equal(t.json.image_url, null);
    const plain = await srv.api('POST', '/v1/creatives', { body: { program_id: p1.id, name: 'Plain', text: 'Great shoes\nfor everyone' } });
    const b1 = await upload(srv, `?program_id=${p1.id}&name=${encodeURIComponent('Big "banner" & more')}`, png());
    const b2 = await upload(srv, `?program_id=${p2.id}&name=Bob's`, png(728, 90));
    for (const [body, field] of [[{ name: 'x', text: 'y' }, 'program_id'], [{ program_id: p1.id, text: 'y' }, 'name'],
      [{ program_id: p1.id, name: 'x' }, 'text'], [{ program_id: p1.id, name: 'x', text: '' }, 'text'],
      [{ program_id: p1.id, name: 'x', text: 'y'.repeat(4001) }, 'text'], [{ program_id: p1.id, name: 7, text: 'y' }, 'name'],
      [{ program_id: 999, name: 'x', text: 'y' }, 'program_id'], [{ program_id: p1.id, name: 'x', text: 'y', kind: 'image' }, 'kind'],
      [{ program_id: p1.id, name: 'x', text: 'y', extra: 1 }, 'extra']]) {
      expectError(await srv.api('POST', '/v1/creatives', { body }), 422, 'invalid_argument', field, JSON.stringify(body));
    }
    expectError(await srv.api('POST', '/v1/creatives', { body: { program_id: p1.id, name: 'x', text: 'y' }, ...as(alice) }), 403, 'forbidden');
    // admin list and filter
    assert.equal((await srv.api('GET', '/v1/creatives')).json.data.length, 4);
    assert.deepEqual((await srv.api('GET', `/v1/creatives?program_id=${p2.id}`)).json.data.map((c) => c.id), [b2.json.id]);
    expectError(await srv.api('GET', '/v1/creatives', as(alice)), 403, 'forbidden');

    // Alice (program 1) sees program 1's creatives with her link; never Bob's program
    const mine = await srv.api('GET', '/v1/me/creatives', as(alice));
    expectStatus(mine, 200, 'alice creatives');
    assert.deepEqual(mine.json.data.map((c) => c.id).sort(), [t.json.id, plain.json.id, b1.json.id].sort());
    const byId = new Map(mine.json.data.map((c) => [c.id, c]));
    assert.equal(byId.get(t.json.id).snippet, `Shoes on sale: ${aliceLink.url} (use it twice: ${aliceLink.url})`);
    assert.equal(byId.get(plain.json.id).snippet, `Great shoes\nfor everyone ${aliceLink.url}`);
    assert.equal(byId.get(b1.json.id).snippet,
      `<a href="${aliceLink.url}"><img src="${srv.url}/c/${b1.json.id}.png" alt="Big &quot;banner&quot; &amp; more" width="300" height="250"></a>`);
    assert.equal(byId.get(b1.json.id).link_url, aliceLink.url);
    assert.equal(mine.text.includes(bobLink.code), false);
    const bobs = await srv.api('GET', '/v1/me/creatives', as(bob));
    assert.deepEqual(bobs.json.data.map((c) => c.id), [b2.json.id]);
    assert.ok(bobs.json.data[0].snippet.includes(`/r/${bobLink.code}`));
    assert.equal(bobs.text.includes(aliceLink.code), false);
    // another affiliate's ids and filters: 404 or nothing, never data
    expectError(await srv.api('GET', `/v1/me/creatives/${b2.json.id}`, as(alice)), 404, 'not_found');
    expectError(await srv.api('GET', `/v1/me/creatives/${b1.json.id}`, as(bob)), 404, 'not_found');
    expectError(await srv.api('GET', '/v1/me/creatives/999', as(bob)), 404, 'not_found');
    assert.equal((await srv.api('GET', `/v1/me/creatives?program_id=${p2.id}`, as(alice))).json.data.length, 0);
    expectError(await srv.api('GET', `/v1/me/creatives?affiliate_id=${bob.id}`, as(alice)), 404, 'not_found');
    expectError(await srv.api('GET', `/v1/me/programs/${p2.id}`, as(alice)), 404, 'not_found');
    expectError(await srv.api('DELETE', `/v1/creatives/${b2.json.id}`, as(alice)), 403, 'forbidden');
    // the worst case of a snippet: a text made only of {link}
    const many = '{link}'.repeat(666);
    const m = await srv.api('POST', '/v1/creatives', { body: { program_id: p1.id, name: 'Many', text: many } });
    expectStatus(m, 201, 'text of 666 links');
    assert.equal((await srv.api('GET', `/v1/me/creatives/${m.json.id}`, as(alice))).json.snippet, aliceLink.url.repeat(666));
    const one = await srv.api('GET', `/v1/me/creatives/${t.json.id}`, as(alice));
    expectStatus(one, 200, 'own creative');
    assert.ok(one.json.snippet.includes(aliceLink.url));
    const progs = await srv.api('GET', '/v1/me/programs', as(alice));
    assert.deepEqual(progs.json.data.map((p) => [p.id, p.link.code]), [[p1.id, aliceLink.code]]);
    // the CSV export: the admin's has every creative; an affiliate's lines carry its own snippet only
    const adminCsv = await srv.api('GET', '/v1/creatives?format=csv');
    expectStatus(adminCsv, 200, 'creatives CSV');
    assert.match(adminCsv.text.split('\r\n')[0], /^id,program_id,kind,name,/);
    const aliceCsv = await srv.api('GET', '/v1/me/creatives?format=csv', as(alice));
    expectStatus(aliceCsv, 200, 'affiliate creatives CSV');
    assert.ok(aliceCsv.text.split('\r\n')[0].includes('snippet'));
    assert.ok(aliceCsv.text.includes(aliceLink.url), 'its own link in its snippets');
    assert.ok(!aliceCsv.text.includes('/r/' + bobLink.code), 'never another affiliate\'s link');
    // a suspended affiliate's key is refused (docs/api.md, sign-in)
    await srv.api('PATCH', `/v1/affiliates/${alice.id}`, { body: { status: 'suspended' } });
    expectError(await srv.api('GET', '/v1/me/creatives', as(alice)), 403, 'forbidden');
    expectError(await srv.api('GET', `/v1/me/creatives/${t.json.id}`, as(alice)), 403, 'forbidden');
  } finally { await srv.cleanup(); }
});

test('announcements: per program or to all, newest first, only the affiliate\'s programs', async () => {
  const { srv, p1, p2, alice, bob, as } = await world();
  try {
    const all = await srv.api('POST', '/v1/announcements', { body: { title: 'Welcome', body: 'Hello\neveryone' } });
    expectStatus(all, 201, 'to all');
    assert.equal(all.json.program_id, null);
    const one = await srv.api('POST', '/v1/announcements', { body: { program_id: p1.id, title: 'Shop One sale', body: 'Double commission' } });
    const two = await srv.api('POST', '/v1/announcements', { body: { program_id: p2.id, title: 'Shop Two news', body: 'Secret for Bob' } });
    for (const [body, field] of [[{ body: 'x' }, 'title'], [{ title: 'x' }, 'body'], [{ title: 'x', body: '' }, 'body'],
      [{ title: '', body: 'x' }, 'title'], [{ title: 'x', body: 'y'.repeat(8001) }, 'body'], [{ title: 'x', body: 'y', program_id: 999 }, 'program_id'],
      [{ title: 'x', body: 'y', program_id: '1' }, 'program_id'], [{ title: 'x\ny', body: 'y' }, 'title']]) {
      expectError(await srv.api('POST', '/v1/announcements', { body }), 422, 'invalid_argument', field, JSON.stringify(body));
    }
    expectError(await srv.api('POST', '/v1/announcements', { body: { title: 'x', body: 'y' }, ...as(alice) }), 403, 'forbidden');
    const admin = await srv.api('GET', '/v1/announcements');
    assert.deepEqual(admin.json.data.map((a) => a.id), [two.json.id, one.json.id, all.json.id]);
    // every content list exports CSV: all rows for the admin, only its own for an affiliate
    const annCsv = await srv.api('GET', '/v1/announcements?format=csv');
    expectStatus(annCsv, 200, 'announcements CSV');
    const annLines = annCsv.text.split('\r\n').filter(Boolean);
    assert.match(annLines[0], /^id,program_id,title,body,created_at/);
    assert.equal(annLines.length, 4, 'a header and the three announcements');
    const bobCsv = await srv.api('GET', '/v1/me/announcements?format=csv', as(bob));
    expectStatus(bobCsv, 200, 'affiliate announcements CSV');
    assert.ok(!bobCsv.text.includes('Shop One sale'), 'another program\'s announcement never in an affiliate\'s CSV');
    const applicationsCsv = await srv.api('GET', '/v1/applications?format=csv');
    expectStatus(applicationsCsv, 200, 'applications export CSV');
    assert.match(applicationsCsv.text, /^id,affiliate_id,program_id,/);
    assert.deepEqual((await srv.api('GET', `/v1/announcements?program_id=${p1.id}`)).json.data.map((a) => a.id), [one.json.id]);
    // paging newest first
    const page1 = await srv.api('GET', '/v1/announcements?limit=2');
    assert.equal(page1.json.has_more, true);
    const page2 = await srv.api('GET', `/v1/announcements?limit=2&after=${page1.json.data[1].id}`);
    assert.deepEqual(page2.json.data.map((a) => a.id), [all.json.id]);

    const a = await srv.api('GET', '/v1/me/announcements', as(alice));
    assert.deepEqual(a.json.data.map((x) => x.id), [one.json.id, all.json.id]);
    assert.equal(a.text.includes('Secret for Bob'), false);
    assert.deepEqual((await srv.api('GET', `/v1/me/announcements?program_id=${p2.id}`, as(alice))).json.data.map((x) => x.id), [all.json.id]);
    assert.deepEqual((await srv.api('GET', '/v1/me/announcements', as(bob))).json.data.map((x) => x.id), [two.json.id, all.json.id]);
    expectError(await srv.api('DELETE', `/v1/announcements/${two.json.id}`, as(alice)), 403, 'forbidden');
    expectStatus(await srv.api('DELETE', `/v1/announcements/${two.json.id}`), 200, 'delete');
    expectError(await srv.api('DELETE', `/v1/announcements/${two.json.id}`), 404, 'not_found');
    expectError(await srv.api('DELETE', '/v1/announcements/abc'), 404, 'not_found');
    assert.deepEqual((await srv.api('GET', '/v1/me/announcements', as(bob))).json.data.map((x) => x.id), [all.json.id]);
  } finally { await srv.cleanup(); }
});

test('content survives a restart (committed before it was acknowledged)', async () => {
  const { srv, p1 } = await world();
  let again;
  try {
    await srv.api('PATCH', `/v1/programs/${p1.id}/terms`, { body: { terms: 'Kept.', applications_open: true } });
    const b = await upload(srv, `?program_id=${p1.id}&name=kept`, png());
    await srv.api('POST', '/v1/announcements', { body: { title: 'Kept', body: 'kept' } });
    await srv.kill();
    again = await startServer({ dataDir: srv.dataDir, adminKey: srv.adminKey });
    assert.equal((await again.api('GET', `/v1/programs/${p1.id}/terms`)).json.terms, 'Kept.');
    assert.deepEqual((await again.raw('GET', `/c/${b.json.id}.png`)).body, png());
    assert.equal((await again.api('GET', '/v1/announcements')).json.data[0].title, 'Kept');
  } finally {
    if (again) await again.stop();
    await srv.cleanup();
  }
});
