// review.js - the review queue: conversions a screening rule hit (GET /v1/review), with
// the rule that decided, the score and every hit; rows are chosen and approved or
// rejected together (POST /v1/conversions/bulk), and each id's result is shown.
import { useState } from '../vendor/hooks.mjs';
import { post } from '../api.js';
import { html, Banner, Field, Page, PagedTable, Pill, Table } from '../ui.js';
import { dateTime, money } from '../format.js';
import { useCatalog } from './catalog.js';

/** Who decides: the screening hits as "203 conversion_velocity: hold, 40". */
function hits(c) {
  if (!c.screening || c.screening.length === 0) return '—';
  return html`<ul class="hits">${c.screening.map((x) => html`<li><code>${x.code} ${x.rule}</code>
    <span class="muted">${x.action}, ${x.score}</span></li>`)}</ul>`;
}

/** The per-id answer of a bulk call, failures first. */
export function BulkResults({ outcome, what }) {
  if (!outcome) return null;
  const { action, results } = outcome;
  const failed = results.filter((r) => !r.ok);
  const done = results.length - failed.length;
  return html`<div class="bulk-results" data-testid="bulk-results">
    <${Banner} kind=${failed.length ? 'info' : 'success'}>${action}: ${done} of ${results.length} ${what} done${failed.length ? `, ${failed.length} refused` : ''}.</${Banner}>
    ${failed.length ? html`<${Table} label="refused" rows=${failed} columns=${[
      { label: 'ID', num: true, key: 'id' },
      { label: 'Error', render: (r) => html`<code>${r.error ? r.error.code : 'error'}</code> ${r.error ? r.error.message : ''}` },
    ]} />` : null}
  </div>`;
}

export function Review() {
  const cat = useCatalog(0);
  const [f, setF] = useState({ status: 'held', program_id: '', affiliate_id: '' });
  const [selected, setSelected] = useState(new Set());
  const [reason, setReason] = useState('');
  const [reload, setReload] = useState(0);
  const [outcome, setOutcome] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (v) => { setF({ ...f, [k]: v }); setSelected(new Set()); };

  async function decide(action) {
    if (action === 'reject' && !reason.trim()) {
      setError({ message: 'reason: say why these conversions are rejected', field: 'reason' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const body = { action, ids: [...selected] };
      if (action === 'reject') body.reason = reason.trim();
      const r = await post('/v1/conversions/bulk', body);
      setOutcome({ action: action === 'approve' ? 'Approved' : 'Rejected', results: r.results });
      setSelected(new Set());
      setReason('');
      setReload(reload + 1);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const n = selected.size;
  return html`<${Page} title="Review">
    <p class="muted">Conversions a screening rule hit. Held ones earn nothing until you decide; the rules and their
      actions are set per program (Programs → Settings).</p>
    <div class="filters card">
      <${Field} label="Status" name="status" value=${f.status} onInput=${set('status')}
        options=${[{ value: 'held', label: 'held (to decide)' }, { value: '', label: 'any status' },
          ...['pending', 'approved', 'rejected', 'reversed'].map((s) => ({ value: s, label: s }))]} />
      <${Field} label="Program" name="program_id" value=${f.program_id} onInput=${set('program_id')}
        options=${[{ value: '', label: 'All programs' }, ...cat.programs.map((p) => ({ value: String(p.id), label: p.name }))]} />
      <${Field} label="Affiliate" name="affiliate_id" value=${f.affiliate_id} onInput=${set('affiliate_id')}
        options=${[{ value: '', label: 'All affiliates' }, ...cat.affiliates.map((a) => ({ value: String(a.id), label: a.name }))]} />
    </div>
    <div class="card bulk" role="group" aria-label="decide">
      <span class="muted">${n === 0 ? 'Choose conversions below.' : `${n} selected`}</span>
      <button type="button" disabled=${busy || n === 0} onClick=${() => decide('approve')}>Approve selected</button>
      <${Field} label="Reason for rejecting" name="reason" value=${reason} onInput=${setReason}
        placeholder="e.g. duplicate order" error=${error && error.field === 'reason' ? error.message : null} />
      <button type="button" class="danger" disabled=${busy || n === 0} onClick=${() => decide('reject')}>Reject selected</button>
    </div>
    ${error && error.field !== 'reason' ? html`<${Banner} error=${error} />` : null}
    <${BulkResults} outcome=${outcome} what="conversions" />
    <${PagedTable} path="/v1/review" params=${f} reload=${reload} label="review" empty="Nothing to review: no conversion matches."
      selection=${{ selected, set: setSelected, can: (c) => ['held', 'pending', 'approved'].includes(c.status) }}
      columns=${[
        { label: 'ID', sort: 'id', key: 'id', num: true },
        { label: 'Time', sort: 'created_at', render: (c) => dateTime(c.created_at) },
        { label: 'Program', sort: 'program_id', cls: 'name', render: (c) => cat.programName(c.program_id) },
        { label: 'Affiliate', sort: 'affiliate_id', cls: 'name', render: (c) => cat.affiliateName(c.affiliate_id) },
        { label: 'Order', sort: 'order_id', cls: 'name', render: (c) => c.order_id },
        { label: 'Amount', sort: 'amount', num: true, render: (c) => money(c.amount_minor, c.currency) },
        { label: 'Earns', num: true, render: (c) => money(c.earned_minor, c.currency) },
        { label: 'Status', sort: 'status', render: (c) => html`<${Pill} status=${c.status} />` },
        { label: 'Reason', cls: 'reason', render: (c) => c.reason || '—' },
        { label: 'Score', num: true, key: 'score' },
        { label: 'Hits', cls: 'name', render: hits },
      ]} />
  </${Page}>`;
}
