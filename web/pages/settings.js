// settings.js - the settings of one program (#/program?id=N): hold, minimum payout,
// payout schedule, fallback URL, and the commission plan, screening rules and caps as
// JSON (the server validates them and names the member at fault); the program's caps
// usage. And the settings of one affiliate (group, parent, payout method and account,
// status), shown on the Affiliates page.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { api, get } from '../api.js';
import { html, Banner, CreateForm, Page, Table } from '../ui.js';
import { count, dateTime, exponent, money } from '../format.js';

/** Minor units from a decimal string in the currency's exponent ("49.90" -> 4990). */
export function toMinor(text, currency) {
  const e = exponent(currency || 'USD');
  const m = String(text).trim().match(/^(\d+)(?:\.(\d+))?$/);
  if (!m || (m[2] || '').length > e) return NaN;
  return Number(m[1]) * 10 ** e + Number((m[2] || '').padEnd(e, '0') || 0);
}

/** "49.90" from 4990 in the currency's exponent (for an input, without a symbol). */
function fromMinor(minor, currency) {
  const e = exponent(currency || 'USD');
  return e === 0 ? String(minor) : (minor / 10 ** e).toFixed(e);
}

const fieldError = (field, message) => Object.assign(new Error(message), { field });

/** The program's query parameter of the hash route: #/program?id=3. */
function hashId() {
  const q = window.location.hash.split('?')[1] || '';
  const id = Number(new URLSearchParams(q).get('id'));
  return Number.isInteger(id) && id > 0 ? id : null;
}

const JSON_FIELDS = ['commission', 'screening', 'caps'];

function ProgramForm({ program, onSaved }) {
  const json = (v) => JSON.stringify(v, null, 2);
  const rows = (v) => Math.min(16, Math.max(4, json(v).split('\n').length + 1));
  async function submit(v) {
    const body = {};
    const hold = Number(v.hold_days);
    if (v.hold_days.trim() === '' || !Number.isInteger(hold)) throw fieldError('hold_days', 'hold_days: a whole number of days');
    if (hold !== program.hold_days) body.hold_days = hold;
    const min = toMinor(v.min_payout_minor, program.currency);
    if (Number.isNaN(min)) throw fieldError('min_payout_minor', `min_payout_minor: an amount in ${program.currency}, like 50.00`);
    if (min !== program.min_payout_minor) body.min_payout_minor = min;
    if (v.payout_schedule !== program.payout_schedule) body.payout_schedule = v.payout_schedule;
    if (v.fallback_url.trim() !== (program.fallback_url || '')) body.fallback_url = v.fallback_url.trim();
    for (const k of JSON_FIELDS) {
      let parsed;
      try {
        parsed = JSON.parse(v[k]);
      } catch (e) {
        throw fieldError(k, `${k}: not valid JSON (${e.message})`);
      }
      if (JSON.stringify(parsed) !== JSON.stringify(program[k])) body[k] = parsed;
    }
    if (Object.keys(body).length === 0) throw new Error('Nothing changed.');
    onSaved(await api('PATCH', `/v1/programs/${program.id}`, body));
  }
  return html`<${CreateForm} title="Settings" submitLabel="Save settings" submit=${submit} initial=${{
    hold_days: String(program.hold_days),
    min_payout_minor: fromMinor(program.min_payout_minor, program.currency),
    payout_schedule: program.payout_schedule,
    fallback_url: program.fallback_url || '',
    commission: json(program.commission),
    screening: json(program.screening),
    caps: json(program.caps),
  }} fields=${[
    { name: 'hold_days', label: 'Hold (days)', type: 'number', required: true, hint: 'new commission stays pending this long' },
    { name: 'min_payout_minor', label: `Minimum payout (${program.currency})`, required: true, hint: 'smallest balance a payout run pays' },
    { name: 'payout_schedule', label: 'Payout schedule', options: ['manual', 'weekly', 'monthly'].map((s) => ({ value: s, label: s })) },
    { name: 'fallback_url', label: 'Fallback URL', type: 'url', placeholder: 'https://shop.example.com/', hint: 'where blocked clicks go instead of a 403; empty: none' },
    { name: 'commission', label: 'Commission plan (JSON)', rows: rows(program.commission), wide: true, hint: 'per event a rule, e.g. {"sale": {"percent": "10"}}; overrides, tiers, bonuses: docs/commissions.md' },
    { name: 'screening', label: 'Conversion screening (JSON)', rows: rows(program.screening), wide: true, hint: 'only what differs from the defaults, e.g. {"conversion_velocity": {"action": "hold", "threshold": 3}}; docs/fraud.md' },
    { name: 'caps', label: 'Caps (JSON)', rows: rows(program.caps), wide: true, hint: 'e.g. [{"metric": "conversions", "period": "day", "limit": 100}]; docs/fraud.md' },
  ]} />`;
}

function CapsUsage({ program, reload }) {
  const [rows, setRows] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    get(`/v1/programs/${program.id}/caps`).then((r) => { setRows(r.data); setError(null); }).catch(setError);
  }, [program.id, reload]);
  if (error) return html`<${Banner} error=${error} />`;
  if (!rows) return html`<p class="muted">Loading…</p>`;
  const amount = (c, v) => (v === null ? '—' : c.metric === 'commission_minor' ? money(v, program.currency) : count(v));
  // a per-affiliate cap has a row per affiliate counted this period: none yet is shown too
  const counted = new Set(rows.map((c) => c.cap));
  const all = [...rows, ...program.caps.map((c, i) => ({ ...c, cap: i, affiliate_id: c.affiliate_id ?? 'each', used: null,
    remaining: null, period_start: null })).filter((c) => !counted.has(c.cap))].sort((a, b) => a.cap - b.cap);
  const who = (c) => (c.affiliate_id === 'each' ? 'each affiliate (none counted yet)' : c.affiliate_id === null ? 'program' : `#${c.affiliate_id}`);
  return html`<${Table} title="Caps usage" label="caps usage" rows=${all}
    empty="No caps: this program accepts every click and conversion."
    columns=${[
      { label: 'Cap', num: true, render: (c) => `#${c.cap}` },
      { label: 'Metric', render: (c) => (c.metric === 'commission_minor' ? 'commission' : c.metric) },
      { label: 'Period', render: (c) => (c.period_start ? `${c.period} since ${dateTime(c.period_start)}` : c.period) },
      { label: 'Counted for', render: who },
      { label: 'Kind', render: (c) => (c.hard ? 'hard' : 'soft') },
      { label: 'Used', num: true, render: (c) => amount(c, c.used) },
      { label: 'Limit', num: true, render: (c) => amount(c, c.limit) },
      { label: 'Remaining', num: true, render: (c) => html`<span class=${c.remaining !== null && c.remaining <= 0 ? 'bad' : ''}>${amount(c, c.remaining)}</span>` },
    ]} />`;
}

export function ProgramSettings() {
  const id = hashId();
  const [program, setProgram] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(0);
  useEffect(() => {
    if (id === null) { setError(new Error('No program chosen: open a program from the Programs page.')); return; }
    get(`/v1/programs/${id}`).then(setProgram).catch(setError);
  }, [id]);
  const title = program ? `Program “${program.name}”` : 'Program';
  return html`<${Page} title=${title} actions=${html`<a class="button secondary" href="#/programs">← Programs</a>`}>
    <${Banner} error=${error} />
    ${program ? html`
      <p class="muted">#${program.id} · ${program.currency} · commission plan version ${program.commission_version}</p>
      ${saved ? html`<${Banner} kind="success">Settings saved.</${Banner}>` : null}
      <${ProgramForm} key=${saved} program=${program} onSaved=${(p) => { setProgram(p); setSaved(saved + 1); }} />
      <${CapsUsage} program=${program} reload=${saved} />` : error ? null : html`<p class="muted">Loading…</p>`}
  </${Page}>`;
}

/** The settings of one affiliate: PATCH /v1/affiliates/{id}. */
export function EditAffiliate({ affiliate, affiliates, onDone, onCancel }) {
  async function submit(v) {
    const body = {};
    if (v.name !== affiliate.name) body.name = v.name;
    if (v.email.trim() !== affiliate.email) body.email = v.email.trim();
    if (v.status !== affiliate.status) body.status = v.status;
    if (v.group.trim() !== (affiliate.group || '') && v.group.trim() !== '') body.group = v.group.trim();
    const parent = v.parent_id === '' ? null : Number(v.parent_id);
    if (parent !== (affiliate.parent_id ?? null)) body.parent_id = parent;
    if (v.payout_method !== (affiliate.payout_method || '') && v.payout_method !== '') body.payout_method = v.payout_method;
    if (v.payout_account.trim() !== (affiliate.payout_account || '') && v.payout_account.trim() !== '') body.payout_account = v.payout_account.trim();
    if (Object.keys(body).length === 0) throw new Error('Nothing changed.');
    onDone(await api('PATCH', `/v1/affiliates/${affiliate.id}`, body));
  }
  const others = affiliates.filter((a) => a.id !== affiliate.id);
  return html`<div class="edit">
    <${CreateForm} title=${`Affiliate “${affiliate.name}”`} submitLabel="Save" submit=${submit}
      extra=${html`<button type="button" class="secondary" onClick=${onCancel}>Cancel</button>`} initial=${{
      name: affiliate.name,
      email: affiliate.email,
      status: affiliate.status,
      group: affiliate.group || '',
      parent_id: affiliate.parent_id ? String(affiliate.parent_id) : '',
      payout_method: affiliate.payout_method || '',
      payout_account: affiliate.payout_account || '',
    }} fields=${[
      { name: 'name', label: 'Name', required: true },
      { name: 'email', label: 'Email', required: true, type: 'email' },
      { name: 'status', label: 'Status', options: ['approved', 'pending', 'suspended', 'rejected'].map((s) => ({ value: s, label: s })) },
      { name: 'group', label: 'Group', hint: "the commission group a plan's groups override names" },
      { name: 'parent_id', label: 'Parent', hint: 'earns overrides on this affiliate (sub-affiliates)',
        options: [{ value: '', label: 'none' }, ...others.map((a) => ({ value: String(a.id), label: `${a.name} (#${a.id})` }))] },
      { name: 'payout_method', label: 'Payout method', options: [{ value: '', label: 'not set' }, ...['paypal', 'bank', 'other'].map((s) => ({ value: s, label: s }))] },
      { name: 'payout_account', label: 'Payout account', hint: 'PayPal e-mail, IBAN, …; the e-mail when empty' },
    ]} />
  </div>`;
}

