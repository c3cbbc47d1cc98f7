// portal.js - the affiliate's own pages: stats, links with a deep-link builder, coupon
// codes, conversions with their status and reason, commissions, balance and payouts,
// over /v1/me/* only (the session can reach nothing else).
import { useEffect, useState } from '../vendor/hooks.mjs';
import { get } from '../api.js';
import { html, Banner, CopyButton, Field, Kpis, Page, PagedTable, Pill } from '../ui.js';
import { dateTime, money } from '../format.js';
import { Stats, subIdCell } from './stats.js';

/** The currency of the affiliate's earnings: that of its latest commission line. */
function useEarningsCurrency() {
  const [currency, setCurrency] = useState(undefined);
  useEffect(() => {
    get('/v1/me/commissions?limit=1').then((r) => setCurrency(r.data[0] ? r.data[0].currency : null))
      .catch(() => setCurrency(null));
  }, []);
  return currency;
}

/** A function naming the affiliate's programs (GET /v1/me/programs) by id, for the
 * Program columns: a partner knows its programs by name, not by number. */
function useProgramName() {
  const [names, setNames] = useState(new Map());
  useEffect(() => {
    get('/v1/me/programs').then((r) => setNames(new Map(r.data.map((p) => [p.id, p.name])))).catch(() => {});
  }, []);
  return (id) => names.get(id) || `#${id}`;
}

/** The name of a by-link report row without a link (docs/api.md "Reports"): a parent's
 * income from its sub-affiliates' sales, sales without a link (coupon codes, referral
 * codes), or both, which share the row. */
export function noLinkName(r) {
  const income = Boolean(r.override_income_minor);
  const own = Boolean(r.conversions || r.revenue_minor || r.refunds_minor || r.commission_minor);
  if (income && !own) return 'Sub-affiliate income';
  return income ? 'Sub-affiliate income and sales without a link' : 'Sales without a link (coupons, referrals)';
}

export function PortalOverview({ me }) {
  const currency = useEarningsCurrency();
  const [codes, setCodes] = useState(new Map());
  useEffect(() => {
    get('/v1/me/links?limit=500').then((r) => setCodes(new Map(r.data.map((l) => [l.id, l.code])))).catch(() => {});
  }, []);
  return html`<${Page} title=${`Welcome, ${me ? me.name : ''}`}>
    ${me && me.status === 'pending' ? html`<${Banner} kind="info">Your application is being reviewed. Your links and
      coupon codes appear here once the program manager approves you.</${Banner}>` : null}
    ${currency === undefined ? html`<p class="muted">Loading…</p>` : html`<${Stats} reportPath="/v1/me/reports" portal=${true}
      currency=${currency} top=${[
        { group: 'link', label: 'Your links', column: 'Link', name: (r) => (r.link_id === null ? html`<em>${noLinkName(r)}</em>` : codes.get(r.link_id) || `#${r.link_id}`) },
        { group: 'sub1', label: 'Your sub-IDs', column: 'Sub-ID', name: (r) => subIdCell(r) },
      ]} />`}
  </${Page}>`;
}

/** Tracking URL + deep link + sub-IDs, as GET /r/{code} reads them (docs/api.md). */
export function buildDeepLink(base, { url, subs, sourceId }) {
  const u = new URL(base);
  if (url) u.searchParams.set('url', url);
  subs.forEach((s, i) => { if (s) u.searchParams.set(`sub${i + 1}`, s); });
  if (sourceId) u.searchParams.set('source_id', sourceId);
  return u.toString();
}

function DeepLinkBuilder({ links }) {
  const [linkId, setLinkId] = useState(links[0] ? String(links[0].id) : '');
  const [url, setUrl] = useState('');
  const [subs, setSubs] = useState(['', '', '', '', '']);
  const [sourceId, setSourceId] = useState('');
  const link = links.find((l) => String(l.id) === linkId) || links[0];
  if (!link) return null;
  let built = '';
  let problem = null;
  try {
    if (url && !/^https?:\/\/[^/]+/i.test(url)) problem = 'The landing page must be an http(s) URL of the program\'s shop.';
    built = buildDeepLink(link.url, { url, subs, sourceId });
  } catch (e) { problem = e.message; }
  return html`<div class="card form deeplink">
    <h2>Deep-link builder</h2>
    <div class="form-grid">
      <${Field} label="Link" name="link" value=${String(link.id)} onInput=${setLinkId}
        options=${links.map((l) => ({ value: String(l.id), label: l.code }))} />
      <${Field} label="Landing page (optional)" name="url" type="url" value=${url} onInput=${setUrl}
        placeholder="https://shop.example.com/product/42" hint="must be on one of the program's allowed domains" />
      ${subs.map((s, i) => html`<${Field} label=${`sub${i + 1}`} name=${`sub${i + 1}`} value=${s}
          onInput=${(v) => setSubs(subs.map((x, k) => (k === i ? v : x)))} />`)}
      <${Field} label="source_id" name="source_id" value=${sourceId} onInput=${setSourceId} />
    </div>
    ${problem ? html`<${Banner} error=${{ message: problem }} />` : null}
    <div class="built"><code data-testid="deep-link">${built}</code> <${CopyButton} text=${built} label="Copy link" /></div>
  </div>`;
}

export function PortalLinks() {
  const programName = useProgramName();
  const [links, setLinks] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get('/v1/me/links?limit=500').then((r) => setLinks(r.data)).catch(setError);
  }, []);
  return html`<${Page} title="Your links">
    <${Banner} error=${error} />
    ${links && links.length > 0 ? html`<${DeepLinkBuilder} links=${links} />` : null}
    <${PagedTable} path="/v1/me/links" label="links" empty="You have no links yet: ask your program manager for one."
      columns=${[
        { label: 'Code', sort: 'code', cls: 'name', render: (l) => l.code },
        { label: 'Tracking URL', cls: 'url', render: (l) => html`<span class="url-cell"><code>${l.url}</code> <${CopyButton} text=${l.url} /></span>` },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (l) => programName(l.program_id) },
        { label: 'Default subs', cls: 'name', render: (l) => [1, 2, 3, 4, 5].map((i) => l[`sub${i}`]).filter(Boolean).join(', ') || '—' },
        { label: 'Created', sort: 'created_at', render: (l) => dateTime(l.created_at) },
      ]} />
  </${Page}>`;
}

export function PortalCoupons() {
  const programName = useProgramName();
  return html`<${Page} title="Your coupon codes">
    <p class="muted">Orders placed with these codes are credited to you, even without a click on your links.</p>
    <${PagedTable} path="/v1/me/coupons" label="coupons" empty="No coupon codes yet: ask your program manager for one."
      columns=${[
        { label: 'Code', sort: 'code', cls: 'name', render: (c) => html`<span class="url-cell"><code>${c.code}</code> <${CopyButton} text=${c.code} /></span>` },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (c) => programName(c.program_id) },
        { label: 'Created', sort: 'created_at', render: (c) => dateTime(c.created_at) },
      ]} />
  </${Page}>`;
}

export function PortalCommissions() {
  return html`<${Page} title="Your commissions">
    <${PagedTable} path="/v1/me/commissions" label="commissions" empty="No commissions yet."
      columns=${[
        { label: 'Time', sort: 'created_at', render: (l) => dateTime(l.created_at) },
        { label: 'Conversion', num: true, key: 'conversion_id' },
        { label: 'Kind', key: 'kind' },
        { label: 'Amount', sort: 'amount', num: true, render: (l) => money(l.amount_minor, l.currency) },
        { label: 'Status', sort: 'status', render: (l) => html`<span class=${`pill ${l.status}`}>${l.status}</span>` },
      ]} />
  </${Page}>`;
}

/** What reason a conversion's status has, in words an affiliate can act on. */
function statusNote(c) {
  if (c.status === 'held') return 'held for review by the program manager';
  if (c.reason) return c.reason;
  return '—';
}

export function PortalConversions() {
  const programName = useProgramName();
  return html`<${Page} title="Your conversions">
    <p class="muted">Sales and leads credited to you. Pending ones are approved after the program's hold; held ones wait
      for the program manager's review.</p>
    <${PagedTable} path="/v1/me/conversions" label="conversions" empty="No conversions yet."
      columns=${[
        { label: 'Time', sort: 'created_at', render: (c) => dateTime(c.created_at) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (c) => programName(c.program_id) },
        { label: 'Order', sort: 'order_id', cls: 'name', render: (c) => c.order_id },
        { label: 'Event', key: 'event' },
        { label: 'Amount', sort: 'amount', num: true, render: (c) => money(c.amount_minor, c.currency) },
        { label: 'Earned', num: true, render: (c) => money(c.earned_minor, c.currency) },
        { label: 'Status', sort: 'status', render: (c) => html`<${Pill} status=${c.status} />` },
        { label: 'Reason', cls: 'name', render: statusNote },
      ]} />
  </${Page}>`;
}

const BALANCE = [
  ['pending_minor', 'Pending', 'waiting for the hold or a review'], ['approved_minor', 'Approved', 'approved, not yet payable'],
  ['payable_minor', 'Payable', 'paid with the next payout run'], ['in_payout_minor', 'In payout', 'being paid'],
  ['paid_minor', 'Paid', 'paid to you'],
];

/** The affiliate's balance by status, one row of cards per program (GET /v1/me/balance). */
function Balance({ programName }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get('/v1/me/balance').then((r) => setRows(r.data)).catch(setError);
  }, []);
  if (error) return html`<${Banner} error=${error} />`;
  if (!rows) return html`<p class="muted">Loading…</p>`;
  if (rows.length === 0) return html`<div class="card"><p class="empty">No balance yet: it starts with your first commission.</p></div>`;
  return html`<div class="balances">${rows.map((b) => html`<div class="balance" data-program=${b.program_id}>
    ${rows.length > 1 ? html`<h2>${programName(b.program_id)}</h2>` : null}
    <${Kpis} items=${BALANCE.map(([k, label]) => ({ id: `balance-${k.replace('_minor', '')}`, label, value: money(b[k], b.currency) }))} />
  </div>`)}</div>`;
}

export function PortalPayouts() {
  const programName = useProgramName();
  return html`<${Page} title="Your balance and payouts">
    <${Balance} programName=${programName} />
    <${PagedTable} path="/v1/me/payouts" label="payouts" empty="No payouts yet."
      columns=${[
        { label: 'Time', sort: 'created_at', render: (p) => dateTime(p.created_at) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (p) => programName(p.program_id) },
        { label: 'Lines', num: true, key: 'lines' },
        { label: 'Amount', sort: 'amount', num: true, render: (p) => money(p.amount_minor, p.currency) },
        { label: 'Status', sort: 'status', render: (p) => html`<${Pill} status=${p.status} />` },
        { label: 'Reference', cls: 'name', render: (p) => p.reference || '—' },
      ]} />
  </${Page}>`;
}
