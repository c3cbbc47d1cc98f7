// admin.js - the merchant's dashboard: overview, programs, affiliates (and their portal
// logins), links, coupons, clicks and conversions, over the admin API. Review is in
// review.js, commissions and payouts in money.js, a program's settings in settings.js.
import { useState } from '../vendor/hooks.mjs';
import { api, post } from '../api.js';
import { html, Banner, CopyButton, CreateForm, Field, Page, PagedTable, SafeLink } from '../ui.js';
import { dateTime, money } from '../format.js';
import { Stats, subIdCell } from './stats.js';
import { useCatalog } from './catalog.js';
import { EditAffiliate, toMinor } from './settings.js';

export function Overview() {
  const cat = useCatalog(0, { links: true });
  const [programId, setProgramId] = useState('');
  const currency = programId ? cat.currencyOf(Number(programId)) : cat.soleCurrency();
  const programSelect = cat.programs.length > 1 ? html`<label class="inline-select">
      <span class="muted">Program</span>
      <select name="report_program" value=${programId} onChange=${(e) => setProgramId(e.target.value)}>
        <option value="">All programs</option>
        ${cat.programs.map((p) => html`<option value=${String(p.id)}>${p.name}</option>`)}
      </select></label>` : null;
  return html`<${Page} title="Overview">
    ${cat.ready && !currency
      && cat.programs.length > 1
      ? html`<${Banner} kind="info">Programs use different currencies: the amounts of all programs are summed as they are. Choose a program to see its amounts in its currency.</${Banner}>` : null}
    ${cat.ready && cat.programs.length === 0
      ? html`<${Banner} kind="info">No program yet. Start on the <a href="#/programs">Programs</a> page.</${Banner}>` : null}
    ${cat.ready ? html`<${Stats} reportPath="/v1/reports" currency=${currency}
      filter=${programId ? { program_id: programId } : {}} filters=${programSelect} top=${[
      { group: 'affiliate', label: 'Top affiliates', column: 'Affiliate', name: (r) => cat.affiliateName(r.affiliate_id) },
      { group: 'link', label: 'Top links', column: 'Link', name: (r) => cat.linkCode(r.link_id) },
      { group: 'affiliate,sub1', label: 'Top sub-IDs', column: 'Sub-ID', name: (r) => subIdCell(r, cat.affiliateName(r.affiliate_id)) },
    ]} />` : html`<p class="muted">Loading…</p>`}
  </${Page}>`;
}

/** The server-to-server postback URL a merchant's system calls for each order, with the
 * placeholders its own software fills in. */
export function postbackUrl(p) {
  return `${window.location.origin}/postback?token=${encodeURIComponent(p.postback_token)}`
    + `&click_id={click_id}&order_id={order_id}&amount={amount}&currency=${p.currency}`;
}

function planSummary(p) {
  const parts = Object.entries(p.commission || {}).map(([ev, rule]) => (rule.percent !== undefined
    ? `${ev}: ${rule.percent} %` : rule.flat_minor !== undefined ? `${ev}: ${money(rule.flat_minor, p.currency)}` : ev));
  return parts.length ? parts.join(', ') : 'no commission';
}

/** The settings of one program (PATCH): not its commission plan, whose richer forms this
 * simple form could not show without losing them. */
function EditProgram({ program, onDone, onCancel }) {
  async function submit(v) {
    const cookie = Number(v.cookie_days);
    if (!Number.isInteger(cookie)) throw Object.assign(new Error('cookie_days: a whole number of days'), { field: 'cookie_days' });
    const body = {
      name: v.name,
      destination_url: v.destination_url.trim(),
      allowed_domains: v.allowed_domains.split(',').map((d) => d.trim()).filter(Boolean),
      cookie_days: cookie,
      attribution: v.attribution,
    };
    onDone(await api('PATCH', `/v1/programs/${program.id}`, body));
  }
  return html`<div class="edit">
    <${CreateForm} title=${`Settings of “${program.name}”`} submitLabel="Save" submit=${submit}
      extra=${html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>`} initial=${{
      name: program.name,
      destination_url: program.destination_url,
      allowed_domains: program.allowed_domains.join(', '),
      cookie_days: String(program.cookie_days),
      attribution: program.attribution,
    }} fields=${[
      { name: 'name', label: 'Name', required: true },
      { name: 'destination_url', label: 'Destination URL', required: true, type: 'url' },
      { name: 'allowed_domains', label: 'Allowed deep-link domains', hint: 'comma-separated hosts or *.host' },
      { name: 'cookie_days', label: 'Cookie days', type: 'number', required: true },
      { name: 'attribution', label: 'Attribution', options: [{ value: 'last_click', label: 'last click' }, { value: 'first_click', label: 'first click' }] },
    ]} />
  </div>`;
}

export function Programs() {
  const [reload, setReload] = useState(0);
  const [created, setCreated] = useState(null);
  const [editing, setEditing] = useState(null);
  const [saved, setSaved] = useState(null);
  async function submit(v) {
    const commission = {};
    if (v.sale_percent) commission.sale = { percent: v.sale_percent.trim() };
    if (v.lead_amount) {
      const minor = toMinor(v.lead_amount, v.currency);
      if (Number.isNaN(minor)) throw Object.assign(new Error('lead commission: a decimal amount like 2.00'), { field: 'lead_amount' });
      commission.lead = { flat_minor: minor };
    }
    const body = { name: v.name, currency: v.currency.trim().toUpperCase(), destination_url: v.destination_url.trim(), commission };
    if (v.cookie_days) body.cookie_days = Number(v.cookie_days);
    const p = await post('/v1/programs', body);
    setCreated(p);
    setReload(reload + 1);
  }
  return html`<${Page} title="Programs">
    <${CreateForm} title="New program" submit=${submit} fields=${[
      { name: 'name', label: 'Name', required: true, placeholder: 'Spring campaign' },
      { name: 'currency', label: 'Currency', required: true, initial: 'USD', hint: 'ISO 4217, e.g. USD, EUR, JPY' },
      { name: 'destination_url', label: 'Destination URL', required: true, type: 'url', placeholder: 'https://shop.example.com/' },
      { name: 'sale_percent', label: 'Commission per sale (%)', placeholder: '10' },
      { name: 'lead_amount', label: 'Commission per lead (amount)', placeholder: '2.00' },
      { name: 'cookie_days', label: 'Cookie days', type: 'number', placeholder: '30' },
    ]} />
    ${created ? html`<${Banner} kind="success">Program “${created.name}” created. Postback URL for the shop's system:
        <code class="secret">${postbackUrl(created)}</code> <${CopyButton} text=${postbackUrl(created)} /></${Banner}>` : null}
    ${editing ? html`<${EditProgram} key=${editing.id} program=${editing} onCancel=${() => setEditing(null)}
        onDone=${(p) => { setEditing(null); setSaved(p); setReload(reload + 1); }} />` : null}
    ${saved ? html`<${Banner} kind="success">Settings of “${saved.name}” saved.</${Banner}>` : null}
    <${PagedTable} path="/v1/programs" reload=${reload} label="programs" empty="No programs yet: create the first one above."
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Name', sort: 'name', cls: 'name', render: (p) => p.name },
        { label: 'Currency', key: 'currency' },
        { label: 'Destination', cls: 'url', render: (p) => html`<${SafeLink} href=${p.destination_url} />` },
        { label: 'Commission', render: planSummary },
        { label: 'Cookie', render: (p) => `${p.cookie_days} d` },
        { label: 'Postback', render: (p) => html`<${CopyButton} text=${postbackUrl(p)} label="Copy URL" />` },
        { label: 'Created', sort: 'created_at', render: (p) => dateTime(p.created_at) },
        { label: 'Action', render: (p) => html`<span class="row-actions"><button type="button" class="secondary small"
            onClick=${() => { setSaved(null); setEditing(p); }}>Edit</button>
            <a class="button secondary small" href=${`#/program?id=${p.id}`}>Settings</a></span>` },
      ]} />
  </${Page}>`;
}

export function Affiliates() {
  const [reload, setReload] = useState(0);
  const [created, setCreated] = useState(null);
  const [login, setLogin] = useState(null);
  const [actionError, setActionError] = useState(null);
  const [editing, setEditing] = useState(null);
  const [saved, setSaved] = useState(null);
  const cat = useCatalog(reload);
  async function submit(v) {
    const a = await post('/v1/affiliates', { name: v.name, email: v.email.trim(), status: v.status });
    setCreated(a);
    setReload(reload + 1);
  }
  async function submitLogin(v) {
    const u = await post('/v1/users', { email: v.email.trim(), password: v.password, affiliate_id: Number(v.affiliate_id) });
    setLogin(u);
  }
  const affOptions = [{ value: '', label: 'Choose an affiliate' }, ...cat.affiliates.map((a) => ({ value: String(a.id), label: `${a.name} (#${a.id})` }))];
  return html`<${Page} title="Affiliates">
    <div class="two-col">
      <${CreateForm} title="New affiliate" submit=${submit} fields=${[
        { name: 'name', label: 'Name', required: true },
        { name: 'email', label: 'Email', required: true, type: 'email' },
        { name: 'status', label: 'Status', initial: 'approved', options: ['approved', 'pending', 'suspended', 'rejected'].map((s) => ({ value: s, label: s })) },
      ]} />
      <${CreateForm} title="Portal login for an affiliate" submitLabel="Create login" submit=${submitLogin} fields=${[
        { name: 'affiliate_id', label: 'Affiliate', required: true, options: affOptions },
        { name: 'email', label: 'Login email', required: true, type: 'email', autocomplete: 'off' },
        { name: 'password', label: 'Password', required: true, type: 'password', hint: 'at least 8 characters', autocomplete: 'new-password' },
      ]} />
    </div>
    ${created ? html`<${Banner} kind="success">Affiliate “${created.name}” created. API key (shown once):
        <code class="secret">${created.api_key}</code> <${CopyButton} text=${created.api_key} /></${Banner}>` : null}
    ${login ? html`<${Banner} kind="success">Portal login ${login.email} created for ${cat.affiliateName(login.affiliate_id)}.</${Banner}>` : null}
    ${editing ? html`<${EditAffiliate} key=${editing.id} affiliate=${editing} affiliates=${cat.affiliates}
        onCancel=${() => setEditing(null)} onDone=${(a) => { setEditing(null); setSaved(a); setReload(reload + 1); }} />` : null}
    ${saved ? html`<${Banner} kind="success">Affiliate “${saved.name}” saved.</${Banner}>` : null}
    <${PagedTable} path="/v1/affiliates" reload=${reload} label="affiliates" empty="No affiliates yet."
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Name', sort: 'name', cls: 'name', render: (a) => a.name },
        { label: 'Email', sort: 'email', cls: 'name', render: (a) => a.email },
        { label: 'Status', sort: 'status', render: (a) => html`<span class=${`pill ${a.status}`}>${a.status}</span>` },
        { label: 'Group', render: (a) => a.group || '—' },
        { label: 'Parent', cls: 'name', render: (a) => (a.parent_id ? cat.affiliateName(a.parent_id) : '—') },
        { label: 'Payout to', cls: 'name', render: (a) => (a.payout_method ? `${a.payout_method}: ${a.payout_account || a.email}` : '—') },
        { label: 'Created', sort: 'created_at', render: (a) => dateTime(a.created_at) },
        { label: 'Action', render: (a) => html`<span class="row-actions"><${StatusButton} affiliate=${a} onDone=${() => setReload(reload + 1)} onError=${setActionError} />
          <button type="button" class="secondary small" onClick=${() => { setSaved(null); setEditing(a); }}>Edit</button></span>` },
      ]} />
    <${Banner} error=${actionError} />
  </${Page}>`;
}

/** Approve a pending (or suspended) affiliate, or suspend an approved one: PATCH. */
function StatusButton({ affiliate, onDone, onError }) {
  const [busy, setBusy] = useState(false);
  const next = affiliate.status === 'approved' ? 'suspended' : 'approved';
  async function click() {
    setBusy(true);
    try {
      await api('PATCH', `/v1/affiliates/${affiliate.id}`, { status: next });
      onError(null);
      onDone();
    } catch (e) {
      onError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<button type="button" class="secondary small" disabled=${busy} onClick=${click}>
    ${next === 'approved' ? 'Approve' : 'Suspend'}</button>`;
}

export function Links() {
  const [reload, setReload] = useState(0);
  const [created, setCreated] = useState(null);
  const [f, setF] = useState({ program_id: '', affiliate_id: '' });
  const cat = useCatalog(reload);
  async function submit(v) {
    const body = { program_id: Number(v.program_id), affiliate_id: Number(v.affiliate_id) };
    if (!v.program_id) throw Object.assign(new Error('choose a program'), { field: 'program_id' });
    if (!v.affiliate_id) throw Object.assign(new Error('choose an affiliate'), { field: 'affiliate_id' });
    if (v.code) body.code = v.code.trim();
    if (v.destination_url) body.destination_url = v.destination_url.trim();
    if (v.sub1) body.sub1 = v.sub1;
    const l = await post('/v1/links', body);
    setCreated(l);
    setReload(reload + 1);
  }
  return html`<${Page} title="Links">
    ${cat.ready ? html`<${CreateForm} title="New link" submit=${submit} fields=${[
      { name: 'program_id', label: 'Program', required: true, options: [{ value: '', label: 'Choose a program' }, ...cat.programs.map((p) => ({ value: String(p.id), label: p.name }))] },
      { name: 'affiliate_id', label: 'Affiliate', required: true, options: [{ value: '', label: 'Choose an affiliate' }, ...cat.affiliates.map((a) => ({ value: String(a.id), label: a.name }))] },
      { name: 'code', label: 'Code', placeholder: 'generated when empty', hint: 'letters, digits, - and _' },
      { name: 'destination_url', label: 'Destination', type: 'url', placeholder: "the program's when empty" },
      { name: 'sub1', label: 'Default sub1' },
    ]} />` : null}
    ${created ? html`<${Banner} kind="success">Link created: <code>${created.url}</code> <${CopyButton} text=${created.url} /></${Banner}>` : null}
    <${Filters} cat=${cat} value=${f} onChange=${setF} prefix="filter_" />
    <${PagedTable} path="/v1/links" params=${f} reload=${reload} label="links" empty="No links yet."
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Code', sort: 'code', cls: 'name', render: (l) => l.code },
        { label: 'Tracking URL', cls: 'url', render: (l) => html`<span class="url-cell"><code>${l.url}</code> <${CopyButton} text=${l.url} /></span>` },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (l) => cat.programName(l.program_id) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (l) => cat.affiliateName(l.affiliate_id) },
        { label: 'Destination', cls: 'url', render: (l) => (l.destination_url ? html`<${SafeLink} href=${l.destination_url} />` : html`<span class="muted">program's</span>`) },
        { label: 'Created', sort: 'created_at', render: (l) => dateTime(l.created_at) },
      ]} />
  </${Page}>`;
}

/** The program, affiliate and (with statuses) status a table keeps to; `prefix` keeps
 * the fields' names apart from a create form's on the same page. */
function Filters({ cat, value, onChange, statuses, prefix = '' }) {
  const set = (k) => (v) => onChange({ ...value, [k]: v });
  return html`<div class="filters card">
    <${Field} label="Program" name=${`${prefix}program_id`} value=${value.program_id} onInput=${set('program_id')}
      options=${[{ value: '', label: 'All programs' }, ...cat.programs.map((p) => ({ value: String(p.id), label: p.name }))]} />
    <${Field} label="Affiliate" name=${`${prefix}affiliate_id`} value=${value.affiliate_id} onInput=${set('affiliate_id')}
      options=${[{ value: '', label: 'All affiliates' }, ...cat.affiliates.map((a) => ({ value: String(a.id), label: a.name }))]} />
    ${statuses ? html`<${Field} label="Status" name=${`${prefix}status`} value=${value.status} onInput=${set('status')}
      options=${[{ value: '', label: 'Any status' }, ...statuses.map((s) => ({ value: s, label: s }))]} />` : null}
  </div>`;
}

export function Coupons() {
  const [reload, setReload] = useState(0);
  const [created, setCreated] = useState(null);
  const [f, setF] = useState({ program_id: '', affiliate_id: '' });
  const cat = useCatalog(reload);
  async function submit(v) {
    if (!v.program_id) throw Object.assign(new Error('choose a program'), { field: 'program_id' });
    if (!v.affiliate_id) throw Object.assign(new Error('choose an affiliate'), { field: 'affiliate_id' });
    const c = await post('/v1/coupons', { code: v.code.trim(), program_id: Number(v.program_id), affiliate_id: Number(v.affiliate_id) });
    setCreated(c);
    setReload(reload + 1);
  }
  return html`<${Page} title="Coupon codes">
    ${cat.ready ? html`<${CreateForm} title="New coupon code" submit=${submit} fields=${[
      { name: 'code', label: 'Code', required: true, placeholder: 'SPRING10', hint: 'case-insensitive; letters, digits, - and _' },
      { name: 'program_id', label: 'Program', required: true, options: [{ value: '', label: 'Choose a program' }, ...cat.programs.map((p) => ({ value: String(p.id), label: p.name }))] },
      { name: 'affiliate_id', label: 'Affiliate credited', required: true, options: [{ value: '', label: 'Choose an affiliate' }, ...cat.affiliates.map((a) => ({ value: String(a.id), label: a.name }))] },
    ]} />` : null}
    ${created ? html`<${Banner} kind="success">Coupon ${created.code} created for ${cat.affiliateName(created.affiliate_id)}.</${Banner}>` : null}
    <${Filters} cat=${cat} value=${f} onChange=${setF} prefix="filter_" />
    <${PagedTable} path="/v1/coupons" params=${f} reload=${reload} label="coupons" empty="No coupon codes yet."
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Code', sort: 'code', cls: 'name', render: (c) => c.code },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (c) => cat.programName(c.program_id) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (c) => cat.affiliateName(c.affiliate_id) },
        { label: 'Created', sort: 'created_at', render: (c) => dateTime(c.created_at) },
      ]} />
  </${Page}>`;
}

/** Raw clicks: visitor-controlled fields (sub-IDs, user agent, referer) shown as text.
 * Time sorts either way; the other sortable columns only over days that hold at most
 * 100,000 clicks (the server says so, naming the dates to narrow, above the table). */
export function Clicks() {
  const cat = useCatalog(0, { links: true });
  const [f, setF] = useState({ program_id: '', affiliate_id: '' });
  const subs = (c) => [1, 2, 3, 4, 5].map((i) => c[`sub${i}`]).map((v, i) => (v ? `sub${i + 1}=${v}` : null)).filter(Boolean).join(' ');
  return html`<${Page} title="Clicks">
    <${Filters} cat=${cat} value=${f} onChange=${setF} />
    <${PagedTable} path="/v1/clicks" params=${f} rowKey="click_id" label="clicks" empty="No clicks match."
      columns=${[
        { label: 'Time', sort: 'ts', render: (c) => dateTime(c.ts) },
        { label: 'Link', sort: 'link_id', cls: 'name', render: (c) => cat.linkCode(c.link_id) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (c) => cat.affiliateName(c.affiliate_id) },
        { label: 'Sub-IDs', sort: 'sub1', cls: 'name', render: (c) => subs(c) || '—' },
        { label: 'Unique', render: (c) => (c.unique ? 'yes' : 'no') },
        { label: 'IP', sort: 'ip', key: 'ip' },
        { label: 'User agent', cls: 'url', render: (c) => c.user_agent || '—' },
        { label: 'Referer', cls: 'url', render: (c) => c.referer || '—' },
      ]} />
  </${Page}>`;
}

export function Conversions() {
  const cat = useCatalog(0, { links: true });
  const [f, setF] = useState({ program_id: '', affiliate_id: '', status: '' });
  return html`<${Page} title="Conversions">
    <${Filters} cat=${cat} value=${f} onChange=${setF} statuses=${['pending', 'held', 'approved', 'rejected', 'reversed']} />
    <${PagedTable} path="/v1/conversions" params=${f} label="conversions" empty="No conversions match."
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Time', sort: 'created_at', render: (c) => dateTime(c.created_at) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (c) => cat.programName(c.program_id) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (c) => cat.affiliateName(c.affiliate_id) },
        { label: 'Order', sort: 'order_id', cls: 'name', render: (c) => c.order_id },
        { label: 'Event', key: 'event' },
        { label: 'Amount', sort: 'amount', num: true, render: (c) => money(c.amount_minor, c.currency) },
        { label: 'Status', sort: 'status', render: (c) => html`<span class=${`pill ${c.status}`}>${c.status}${c.test ? ' (test)' : ''}</span>` },
        { label: 'Method', key: 'method' },
      ]} />
  </${Page}>`;
}
