// money.js - what the merchant owes: commission lines (approved early in bulk,
// POST /v1/commissions/approve), balances per program and affiliate by status
// (GET /v1/balances), and payouts: runs (POST /v1/payouts/run, GET /v1/payout-runs),
// their export files, and marking each payout paid or failed.
import { useState } from '../vendor/hooks.mjs';
import { post, qs } from '../api.js';
import { html, Banner, Field, Page, PagedTable, Pill } from '../ui.js';
import { dateTime, money } from '../format.js';
import { useCatalog } from './catalog.js';
import { BulkResults } from './review.js';

const LINE_STATUSES = ['pending', 'approved', 'payable', 'in_payout', 'paid', 'rejected', 'reversed'];
export const BALANCE_COLUMNS = [
  ['pending_minor', 'Pending'], ['approved_minor', 'Approved'], ['payable_minor', 'Payable'],
  ['in_payout_minor', 'In payout'], ['paid_minor', 'Paid'],
];

function Choice({ cat, name, label, value, onInput, all }) {
  const list = name === 'program_id' ? cat.programs : cat.affiliates;
  return html`<${Field} label=${label} name=${name} value=${value} onInput=${onInput}
    options=${[{ value: '', label: all }, ...list.map((x) => ({ value: String(x.id), label: x.name }))]} />`;
}

function Lines({ cat }) {
  const [f, setF] = useState({ program_id: '', affiliate_id: '', status: '' });
  const [selected, setSelected] = useState(new Set());
  const [reload, setReload] = useState(0);
  const [outcome, setOutcome] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (v) => { setF({ ...f, [k]: v }); setSelected(new Set()); };
  async function approve() {
    setBusy(true);
    setError(null);
    try {
      const r = await post('/v1/commissions/approve', { ids: [...selected] });
      setOutcome({ action: 'Approved', results: r.results });
      setSelected(new Set());
      setReload(reload + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`
    <div class="filters card">
      <${Choice} cat=${cat} name="program_id" label="Program" all="All programs" value=${f.program_id} onInput=${set('program_id')} />
      <${Choice} cat=${cat} name="affiliate_id" label="Affiliate" all="All affiliates" value=${f.affiliate_id} onInput=${set('affiliate_id')} />
      <${Field} label="Status" name="status" value=${f.status} onInput=${set('status')}
        options=${[{ value: '', label: 'Any status' }, ...LINE_STATUSES.map((s) => ({ value: s, label: s }))]} />
    </div>
    <div class="card bulk" role="group" aria-label="approve lines">
      <span class="muted">${selected.size === 0 ? 'Pending lines can be approved before their hold ends.' : `${selected.size} selected`}</span>
      <button type="button" disabled=${busy || selected.size === 0} onClick=${approve}>Approve selected</button>
    </div>
    <${Banner} error=${error} />
    <${BulkResults} outcome=${outcome} what="lines" />
    <${PagedTable} path="/v1/commissions" params=${f} reload=${reload} label="commissions" empty="No commission lines match."
      selection=${{ selected, set: setSelected, can: (l) => l.status === 'pending' }}
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Time', sort: 'created_at', render: (l) => dateTime(l.created_at) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (l) => cat.affiliateName(l.affiliate_id) },
        { label: 'Conversion', num: true, key: 'conversion_id' },
        { label: 'Kind', key: 'kind' },
        { label: 'Rule', key: 'rule' },
        { label: 'Amount', sort: 'amount', num: true, render: (l) => money(l.amount_minor, l.currency) },
        { label: 'Status', sort: 'status', render: (l) => html`<${Pill} status=${l.status} />` },
        { label: 'Payout', num: true, render: (l) => (l.payout_id ? `#${l.payout_id}` : '—') },
      ]} />`;
}

function Balances({ cat }) {
  const [f, setF] = useState({ program_id: '', affiliate_id: '' });
  const set = (k) => (v) => setF({ ...f, [k]: v });
  return html`
    <div class="filters card">
      <${Choice} cat=${cat} name="program_id" label="Program" all="All programs" value=${f.program_id} onInput=${set('program_id')} />
      <${Choice} cat=${cat} name="affiliate_id" label="Affiliate" all="All affiliates" value=${f.affiliate_id} onInput=${set('affiliate_id')} />
    </div>
    <${PagedTable} path="/v1/balances" params=${f} label="balances"
      rowKey=${(b) => `${b.program_id}/${b.affiliate_id}`} empty="No balances yet: they appear with the first commission."
      columns=${[
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (b) => cat.affiliateName(b.affiliate_id) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (b) => cat.programName(b.program_id) },
        ...BALANCE_COLUMNS.map(([k, label]) => ({ label, sort: k.replace('_minor', ''), num: true, render: (b) => money(b[k], b.currency) })),
      ]} />`;
}

export function Commissions() {
  const cat = useCatalog(0);
  const [view, setView] = useState('lines');
  return html`<${Page} title="Commissions" actions=${html`<div class="segmented" role="group" aria-label="view">
      ${[['lines', 'Lines'], ['balances', 'Balances']].map(([v, label]) => html`<button type="button"
        class=${view === v ? 'active' : ''} aria-pressed=${view === v} onClick=${() => setView(v)}>${label}</button>`)}
    </div>`}>
    ${view === 'lines' ? html`<${Lines} cat=${cat} />` : html`<${Balances} cat=${cat} />`}
  </${Page}>`;
}

/** Mark one pending payout paid (with the bank's or PayPal's reference) or failed. */
function Settle({ payout, onDone }) {
  const [mode, setMode] = useState(null); // null | 'paid' | 'failed'
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  if (payout.status !== 'pending') return payout.reference ? html`<span class="muted">${payout.reference}</span>` : '—';
  async function confirm(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = mode === 'paid' ? { reference: text.trim() } : { reason: text.trim() };
      if (!text.trim()) delete body[mode === 'paid' ? 'reference' : 'reason'];
      await post(`/v1/payouts/${payout.id}/${mode}`, body);
      setMode(null);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  if (!mode) {
    return html`<span class="row-actions">
      <button type="button" class="secondary small" onClick=${() => { setText(''); setMode('paid'); }}>Mark paid</button>
      <button type="button" class="secondary small" onClick=${() => { setText(''); setMode('failed'); }}>Failed</button></span>`;
  }
  return html`<form class="settle" onSubmit=${confirm} aria-label=${`settle payout ${payout.id}`}>
    <input name=${mode === 'paid' ? 'reference' : 'failure_reason'} value=${text} onInput=${(e) => setText(e.target.value)}
      placeholder=${mode === 'paid' ? 'reference, e.g. PP-123' : 'reason, e.g. account closed'}
      aria-label=${mode === 'paid' ? 'payment reference' : 'reason of failure'} />
    <button type="submit" class=${mode === 'failed' ? 'danger small' : 'small'} disabled=${busy}>${mode === 'paid' ? 'Paid' : 'Failed'}</button>
    <button type="button" class="secondary small" onClick=${() => setMode(null)}>Cancel</button>
    ${error ? html`<small class="field-error">${error.message}</small>` : null}
  </form>`;
}

function runSummary(r) {
  const n = r.run.payouts;
  return `Run #${r.run.id}: ${n} ${n === 1 ? 'payout' : 'payouts'} (${r.released_lines} ${r.released_lines === 1 ? 'line' : 'lines'} made payable).`
    + (n === 0 ? ' Nobody had a payable balance at or above the minimum.' : '');
}

const EXPORTS = [['csv', 'CSV'], ['paypal', 'PayPal'], ['json', 'JSON']];

export function Payouts() {
  const cat = useCatalog(0);
  const [programId, setProgramId] = useState('');
  const [reload, setReload] = useState(0);
  const [ran, setRan] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [f, setF] = useState({ run_id: '', status: '', program_id: '', affiliate_id: '' });
  const set = (k) => (v) => setF({ ...f, [k]: v });
  async function run(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await post('/v1/payouts/run', programId ? { program_id: Number(programId) } : {});
      setRan(r);
      setF({ ...f, run_id: String(r.run.id) });
      setReload(reload + 1);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<${Page} title="Payouts">
    <form class="card form run" onSubmit=${run} aria-label="run payouts">
      <h2>Run payouts</h2>
      <p class="muted">Approved lines of approved affiliates become payable; every affiliate whose payable balance reaches
        the program's minimum gets one payout with all of it. Export the run for the bank or PayPal, then mark each payout
        paid or failed.</p>
      <div class="form-grid">
        <${Choice} cat=${cat} name="program_id" label="Program" all="Every program" value=${programId} onInput=${setProgramId} />
      </div>
      <div class="buttons"><button type="submit" disabled=${busy}>${busy ? 'Running…' : 'Run payouts'}</button></div>
      <${Banner} error=${error} />
    </form>
    ${ran ? html`<${Banner} kind="success">${runSummary(ran)}</${Banner}>` : null}
    <h2 class="section">Payout runs</h2>
    <${PagedTable} path="/v1/payout-runs" reload=${reload} label="payout runs" empty="No payout run yet."
      columns=${[
        { label: 'Run', sort: 'id', key: 'id', num: true },
        { label: 'Time', sort: 'created_at', render: (r) => dateTime(r.created_at) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (r) => (r.program_id === null ? 'every program' : cat.programName(r.program_id)) },
        { label: 'Cause', key: 'cause' },
        { label: 'Payouts', num: true, key: 'payouts' },
        { label: 'Export', render: (r) => html`<span class="row-actions">${EXPORTS.map(([fmt, label]) => html`<a class="button secondary small"
            href=${`/v1/payout-runs/${r.id}/export${qs({ format: fmt })}`} download>${label}</a>`)}</span>` },
        { label: 'Payouts of the run', render: (r) => html`<button type="button" class="secondary small"
            aria-pressed=${f.run_id === String(r.id)} onClick=${() => setF({ ...f, run_id: String(r.id) })}>Show</button>` },
      ]} />
    <h2 class="section">${f.run_id ? `Payouts of run #${f.run_id}` : 'Payouts'}</h2>
    <div class="filters card">
      <${Field} label="Run" name="run_id" value=${f.run_id} onInput=${set('run_id')} placeholder="any run" type="number" />
      <${Field} label="Status" name="payout_status" value=${f.status} onInput=${set('status')}
        options=${[{ value: '', label: 'Any status' }, ...['pending', 'paid', 'failed'].map((s) => ({ value: s, label: s }))]} />
      <${Choice} cat=${cat} name="payout_program" label="Program" all="All programs" value=${f.program_id} onInput=${set('program_id')} />
      <${Choice} cat=${cat} name="payout_affiliate" label="Affiliate" all="All affiliates" value=${f.affiliate_id} onInput=${set('affiliate_id')} />
    </div>
    <${PagedTable} path="/v1/payouts" params=${f} reload=${reload} label="payouts"
      empty=${Object.values(f).some(Boolean) ? 'No payouts match.' : 'No payouts yet: run payouts above.'}
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Run', num: true, key: 'run_id' },
        { label: 'Time', sort: 'created_at', render: (p) => dateTime(p.created_at) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (p) => cat.affiliateName(p.affiliate_id) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (p) => cat.programName(p.program_id) },
        { label: 'Lines', num: true, key: 'lines' },
        { label: 'Amount', sort: 'amount', num: true, render: (p) => money(p.amount_minor, p.currency) },
        { label: 'Status', sort: 'status', render: (p) => html`<${Pill} status=${p.status} />` },
        { label: 'Reference / action', cls: 'name', render: (p) => html`<${Settle} payout=${p} onDone=${() => setReload(reload + 1)} />` },
      ]} />
  </${Page}>`;
}
