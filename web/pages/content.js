// content.js - what a brand gives its affiliates and how they join: the admin's Content
// page (a program's description, terms and whether it takes applications; the
// applications to approve or reject; banners and text creatives; announcements), the
// portal's Programs, Creatives and News pages, and the public application page of a
// program (#/apply/{id}). Terms and bodies are plain text, shown as text (never HTML);
// snippets come from the server with the affiliate's own tracking link in them.
import { useEffect, useState } from '../vendor/hooks.mjs';
import { api, get, post, upload } from '../api.js';
import { html, Banner, CopyButton, CreateForm, Field, Page, PagedTable, Pill } from '../ui.js';
import { dateTime } from '../format.js';

/** The programs (id, name) for selectors; null while loading. */
function usePrograms() {
  const [programs, setPrograms] = useState(null);
  useEffect(() => { get('/v1/programs?limit=500').then((r) => setPrograms(r.data)).catch(() => setPrograms([])); }, []);
  return programs;
}

function applyUrl(programId) {
  return `${window.location.origin}/#/apply/${programId}`;
}

function bytes(n) {
  if (n === null || n === undefined) return '—';
  return n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(2)} MB`;
}

/** Description, terms and the applications switch of one program. */
function TermsForm({ program }) {
  const [t, setT] = useState(null);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setT(null);
    setSaved(false);
    get(`/v1/programs/${program.id}/terms`).then(setT).catch(setError);
  }, [program.id]);
  if (!t) return error ? html`<${Banner} error=${error} />` : html`<p class="muted">Loading…</p>`;
  async function save(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      setT(await api('PATCH', `/v1/programs/${program.id}/terms`,
        { description: t.description, terms: t.terms, applications_open: t.applications_open }));
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const fieldError = (name) => (error && error.field === name ? error.message : null);
  return html`<form class="card form" onSubmit=${save} aria-label="program page" novalidate>
    <h2>Program page and terms</h2>
    <p class="muted">Shown to applicants on the public application page and to your partners in their portal, as plain text.</p>
    <div class="form-grid">
      <${Field} wide label="Description" name="description" rows=${3} value=${t.description}
        onInput=${(v) => setT({ ...t, description: v })} error=${fieldError('description')} />
      <${Field} wide label="Terms" name="terms" rows=${8} value=${t.terms} onInput=${(v) => setT({ ...t, terms: v })}
        error=${fieldError('terms')} hint=${t.terms_version ? `version ${t.terms_version}; changing the text makes a new version` : 'not set yet'} />
    </div>
    <label class="check"><input type="checkbox" name="applications_open" checked=${t.applications_open}
      onChange=${(e) => setT({ ...t, applications_open: e.target.checked })} />
      <span>Open to applications on a public page</span></label>
    ${t.applications_open && t.terms_version ? html`<div class="url-cell">Application page: <code data-testid="apply-url">${applyUrl(program.id)}</code>
      <${CopyButton} text=${applyUrl(program.id)} /></div>` : null}
    ${error && !['description', 'terms'].includes(error.field) ? html`<${Banner} error=${error} />` : null}
    ${saved ? html`<${Banner} kind="success">Saved.</${Banner}>` : null}
    <div class="buttons"><button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save program page'}</button></div>
  </form>`;
}

/** Applications to a program: approve or reject each (a new partner's decides its
 * account; an existing partner's only its membership of this program). */
function Applications({ program }) {
  const [reload, setReload] = useState(0);
  const [status, setStatus] = useState('pending');
  const [error, setError] = useState(null);
  async function decide(a, to) {
    setError(null);
    try {
      await post(`/v1/applications/${a.id}/${to === 'approved' ? 'approve' : 'reject'}`);
      setReload(reload + 1);
    } catch (e) { setError(e); }
  }
  return html`<div class="section">
    <div class="toolbar"><h2>Applications</h2>
      <label class="inline-select">Show <select value=${status} onChange=${(e) => setStatus(e.target.value)} aria-label="application status">
        ${['pending', 'approved', 'rejected', ''].map((s) => html`<option value=${s}>${s || 'all'}</option>`)}</select></label></div>
    <${Banner} error=${error} />
    <${PagedTable} path="/v1/applications" params=${{ program_id: program.id, status }} reload=${reload} label="applications"
      empty=${status === 'pending' ? 'No applications waiting.' : 'No applications.'}
      columns=${[
        { label: 'Applicant', sort: 'name', cls: 'name', render: (a) => html`<strong>${a.name}</strong><br /><span class="muted">${a.email}</span>
          <br /><span class="muted">${a.signup ? 'new partner' : 'existing partner'}</span>` },
        { label: 'Website', cls: 'url', render: (a) => a.website || '—' },
        { label: 'How they promote', cls: 'text', render: (a) => (a.promotion ? html`<span class="pre">${a.promotion}</span>` : '—') },
        { label: 'Terms', render: (a) => `v${a.terms_version}` },
        { label: 'Applied', sort: 'created_at', render: (a) => dateTime(a.created_at) },
        { label: 'Status', sort: 'status', render: (a) => html`<${Pill} status=${a.status} />` },
        { label: 'Decision', render: (a) => html`<span class="row-actions">
          ${a.status !== 'approved' ? html`<button type="button" class="small" onClick=${() => decide(a, 'approved')}>Approve</button>` : null}
          ${a.status === 'pending' ? html`<button type="button" class="small danger" onClick=${() => decide(a, 'rejected')}>Reject</button>` : null}
        </span>` },
      ]} />
  </div>`;
}

function BannerUpload({ program, onDone }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setError(null);
    if (!file) { setError({ field: 'image', message: 'Choose an image file (PNG, JPEG, GIF or WebP, up to 1 MB).' }); return; }
    setBusy(true);
    try {
      const q = new URLSearchParams({ program_id: String(program.id), name: name.trim() || file.name });
      await upload(`/v1/creatives/image?${q}`, file);
      setName('');
      setFile(null);
      e.target.reset();
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="card form" onSubmit=${submit} aria-label="upload banner" novalidate>
    <h2>Upload a banner</h2>
    <div class="form-grid">
      <${Field} label="Name" name="banner_name" value=${name} onInput=${setName} placeholder="Spring sale 300×250"
        error=${error && error.field === 'name' ? error.message : null} />
      <label class="field" for="f-image"><span>Image *</span>
        <input id="f-image" name="image" type="file" accept="image/png,image/jpeg,image/gif,image/webp"
          onChange=${(e) => setFile(e.target.files[0] || null)} />
        ${error && error.field === 'image' ? html`<small class="field-error">${error.message}</small>` : html`<small>PNG, JPEG, GIF or WebP, up to 1 MB</small>`}</label>
    </div>
    ${error && !['name', 'image'].includes(error.field) ? html`<${Banner} error=${error} />` : null}
    <div class="buttons"><button type="submit" disabled=${busy}>${busy ? 'Uploading…' : 'Upload'}</button></div>
  </form>`;
}

function Creatives({ program }) {
  const [reload, setReload] = useState(0);
  const [error, setError] = useState(null);
  async function remove(c) {
    if (!window.confirm(`Delete “${c.name}”? Sites that embed it will show a broken image.`)) return;
    try {
      await api('DELETE', `/v1/creatives/${c.id}`);
      setReload(reload + 1);
    } catch (e) { setError(e); }
  }
  return html`<div class="section">
    <h2>Creatives</h2>
    <div class="two-col">
      <${BannerUpload} program=${program} onDone=${() => setReload(reload + 1)} />
      <${CreateForm} title="New text creative" submitLabel="Add text" submit=${async (v) => {
        await post('/v1/creatives', { program_id: program.id, name: v.name.trim(), text: v.text });
        setReload(reload + 1);
      }} fields=${[
        { name: 'name', label: 'Name', required: true, placeholder: 'Newsletter blurb' },
        { name: 'text', label: 'Text', required: true, rows: 4, wide: true,
          hint: '{link} is replaced by each partner\u2019s tracking link (else it is added at the end)' },
      ]} />
    </div>
    <${Banner} error=${error} />
    <${PagedTable} path="/v1/creatives" params=${{ program_id: program.id }} reload=${reload} label="creatives"
      empty="No creatives yet: upload a banner or add a text above."
      columns=${[
        { label: 'Preview', cls: 'preview', render: (c) => (c.kind === 'image'
          ? html`<img class="thumb" src=${c.image_url} alt=${c.name} loading="lazy" />`
          : html`<span class="pre clamp">${c.text}</span>`) },
        { label: 'Name', sort: 'name', cls: 'name', render: (c) => c.name },
        { label: 'Kind', key: 'kind' },
        { label: 'Size', render: (c) => (c.kind === 'image' ? `${c.width && c.height ? `${c.width}×${c.height}, ` : ''}${bytes(c.bytes)}` : `${c.text.length} chars`) },
        { label: 'Added', sort: 'created_at', render: (c) => dateTime(c.created_at) },
        { label: '', render: (c) => html`<button type="button" class="small danger" onClick=${() => remove(c)}>Delete</button>` },
      ]} />
  </div>`;
}

function Announcements({ programs }) {
  const [reload, setReload] = useState(0);
  const [error, setError] = useState(null);
  const [to, setTo] = useState('');
  const name = (id) => (id === null ? 'All programs' : (programs.find((p) => p.id === id) || { name: `#${id}` }).name);
  async function remove(a) {
    if (!window.confirm(`Delete the announcement “${a.title}”?`)) return;
    try {
      await api('DELETE', `/v1/announcements/${a.id}`);
      setReload(reload + 1);
    } catch (e) { setError(e); }
  }
  return html`<div class="section">
    <h2>Announcements</h2>
    <${CreateForm} title="New announcement" submitLabel="Post" submit=${async (v) => {
      const body = { title: v.title.trim(), body: v.body };
      if (v.program_id) body.program_id = Number(v.program_id);
      await post('/v1/announcements', body);
      setReload(reload + 1);
    }} fields=${[
      { name: 'program_id', label: 'To', options: [{ value: '', label: 'All programs' }, ...programs.map((p) => ({ value: String(p.id), label: p.name }))] },
      { name: 'title', label: 'Title', required: true, placeholder: 'Double commission this weekend' },
      { name: 'body', label: 'Message', required: true, rows: 4, wide: true },
    ]} />
    <${Banner} error=${error} />
    <div class="filters card">
      <${Field} label="Posted to" name="announcement_program" value=${to} onInput=${setTo}
        options=${[{ value: '', label: 'Any' }, ...programs.map((p) => ({ value: String(p.id), label: `${p.name} only` }))]} />
    </div>
    <${PagedTable} path="/v1/announcements" params=${{ program_id: to }} reload=${reload} label="announcements"
      empty=${to ? 'No announcements to this program alone.' : 'No announcements yet.'}
      columns=${[
        { label: 'Posted', sort: 'created_at', render: (a) => dateTime(a.created_at) },
        { label: 'To', sort: 'program_id', cls: 'name', render: (a) => name(a.program_id) },
        { label: 'Title', sort: 'title', cls: 'name', render: (a) => a.title },
        { label: 'Message', cls: 'text', render: (a) => html`<span class="pre clamp">${a.body}</span>` },
        { label: '', render: (a) => html`<button type="button" class="small danger" onClick=${() => remove(a)}>Delete</button>` },
      ]} />
  </div>`;
}

/** Admin: #/content. */
export function Content() {
  const programs = usePrograms();
  const [programId, setProgramId] = useState('');
  if (!programs) return html`<${Page} title="Content"><p class="muted">Loading…</p></${Page}>`;
  const program = programs.find((p) => String(p.id) === programId) || programs[0];
  return html`<${Page} title="Content" actions=${programs.length > 1 ? html`<label class="inline-select">Program
      <select value=${program ? String(program.id) : ''} onChange=${(e) => setProgramId(e.target.value)} aria-label="program">
        ${programs.map((p) => html`<option value=${String(p.id)}>${p.name}</option>`)}</select></label>` : null}>
    ${program ? html`<p class="muted">Program: <strong class="wrap">${program.name}</strong></p>
      <${TermsForm} key=${`t${program.id}`} program=${program} />
      <${Applications} key=${`a${program.id}`} program=${program} />
      <${Creatives} key=${`c${program.id}`} program=${program} />`
    : html`<div class="card"><p class="empty">Create a program first (Programs page).</p></div>`}
    <${Announcements} programs=${programs} />
  </${Page}>`;
}

/* ---- the partner portal ------------------------------------------------------------------ */

/** Portal: #/programs — its programs, their description and terms, its link in each. */
export function PortalPrograms({ me }) {
  const [programs, setPrograms] = useState(null);
  const [error, setError] = useState(null);
  const [reload, setReload] = useState(0);
  useEffect(() => { get('/v1/me/programs').then((r) => setPrograms(r.data)).catch(setError); }, [reload]);
  async function getLink(p) {
    setError(null);
    try {
      await post('/v1/me/links', { program_id: p.id });
      setReload(reload + 1);
    } catch (e) { setError(e); }
  }
  return html`<${Page} title="Your programs">
    <${Banner} error=${error} />
    ${!programs ? (error ? null : html`<p class="muted">Loading…</p>`) : programs.length === 0
      ? html`<div class="card"><p class="empty">You are not in any program yet.</p></div>`
      : programs.map((p) => html`<article class="card program-card" data-program=${p.id}>
          <h2 class="wrap">${p.name}</h2>
          ${p.description ? html`<p class="pre">${p.description}</p>` : null}
          ${p.application && p.application.status !== 'approved' ? html`<div><${Pill} status=${p.application.status}>application ${p.application.status}</${Pill}></div>` : null}
          ${p.link ? html`<div class="url-cell">Your link: <code data-testid="program-link">${p.link.url}</code> <${CopyButton} text=${p.link.url} /></div>`
            : p.application && p.application.status === 'rejected' ? null
            : me && me.status === 'approved' && (!p.application || p.application.status === 'approved')
              ? html`<div><button type="button" onClick=${() => getLink(p)}>Get my link</button></div>`
            : html`<p class="muted">Your link appears here once your application is approved.</p>`}
          <details open=${!p.link}>
            <summary>Program terms${p.terms_version ? ` (version ${p.terms_version})` : ''}</summary>
            ${p.terms ? html`<div class="terms pre">${p.terms}</div>` : html`<p class="muted">This program has no written terms.</p>`}
          </details>
        </article>`)}
  </${Page}>`;
}

/** Portal: #/creatives — banners and texts with the ready-to-paste snippet. */
export function PortalCreatives({ me }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => { get('/v1/me/creatives?limit=500').then((r) => setItems(r.data)).catch(setError); }, []);
  const pending = me && me.status !== 'approved';
  return html`<${Page} title="Creatives">
    <p class="muted">Banners and texts from your programs. Each snippet already contains your own tracking link: copy it into your site, newsletter or post.</p>
    <${Banner} error=${error} />
    ${!items ? (error ? null : html`<p class="muted">Loading…</p>`) : items.length === 0
      ? html`<div class="card"><p class="empty">${pending ? 'Creatives appear here once your application is approved.' : 'No creatives yet: your program manager has not added any.'}</p></div>`
      : html`<div class="creatives">${items.map((c) => html`<article class="card creative" data-creative=${c.id}>
          <h2 class="wrap">${c.name}</h2>
          ${c.kind === 'image' ? html`<div class="creative-preview"><img src=${c.image_url} alt=${c.name} /></div>
              <p class="muted">${c.width && c.height ? `${c.width}×${c.height} · ` : ''}${bytes(c.bytes)}</p>`
            : c.snippet ? null : html`<p class="pre">${c.text}</p>`}
          ${c.snippet ? html`<label class="field"><span>${c.kind === 'image' ? 'HTML to paste' : 'Text to paste'}</span>
              <textarea readonly rows=${c.kind === 'image' ? 4 : 3} data-testid="snippet" value=${c.snippet}
                onFocus=${(e) => e.target.select()}></textarea></label>
              <div><${CopyButton} text=${c.snippet} label=${c.kind === 'image' ? 'Copy HTML' : 'Copy text'} /></div>`
            : html`<p class="muted">Get your link for this program on the Programs page to use this creative.</p>`}
        </article>`)}</div>`}
  </${Page}>`;
}

/** Portal: #/news — announcements, newest first. */
export function PortalAnnouncements({ me }) {
  const [items, setItems] = useState(null);
  const [error, setError] = useState(null);
  const [names, setNames] = useState(new Map());
  useEffect(() => {
    get('/v1/me/announcements?limit=100').then((r) => setItems(r.data)).catch(setError);
    get('/v1/me/programs').then((r) => setNames(new Map(r.data.map((p) => [p.id, p.name])))).catch(() => {});
  }, []);
  const pending = me && me.status !== 'approved';
  return html`<${Page} title="News from your programs">
    <${Banner} error=${error} />
    ${!items ? (error ? null : html`<p class="muted">Loading…</p>`) : items.length === 0
      ? html`<div class="card"><p class="empty">${pending ? 'News appears here once your application is approved.' : 'No announcements yet.'}</p></div>`
      : items.map((a) => html`<article class="card announcement" data-announcement=${a.id}>
          <header class="announcement-head"><h2 class="wrap">${a.title}</h2>
            <span class="muted">${a.program_id === null ? 'All programs' : names.get(a.program_id) || `Program #${a.program_id}`} · ${dateTime(a.created_at)}</span></header>
          <p class="pre">${a.body}</p>
        </article>`)}
  </${Page}>`;
}

/* ---- the public application page: #/apply/{program id} ------------------------------------ */

/** An affiliate already signed in applies with its account (POST /v1/me/applications). */
function ApplyAsPartner({ program, user }) {
  const [v, setV] = useState({ website: '', promotion: '' });
  const [terms, setTerms] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { program_id: program.id, terms_version: program.terms_version, accept_terms: terms };
    if (v.website.trim()) body.website = v.website.trim();
    if (v.promotion.trim()) body.promotion = v.promotion.trim();
    try {
      await post('/v1/me/applications', body);
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const fieldError = (name) => (error && error.field === name ? error.message : null);
  if (done) {
    return html`<${Banner} kind="success">Your application to ${program.name} is waiting for the program manager's
      approval. You will find the program in your portal.</${Banner}>
      <a class="button" href="#/my-programs">Go to my programs</a>`;
  }
  return html`<p class="muted">You are signed in as ${user.email}: apply with your partner account.</p>
    ${error && !['website', 'promotion', 'accept_terms'].includes(error.field) ? html`<${Banner} error=${error} />` : null}
    <${Field} label="Website (optional)" name="website" type="url" value=${v.website} onInput=${(x) => setV({ ...v, website: x })}
      placeholder="https://your-site.example" error=${fieldError('website')} />
    <${Field} label="How will you promote us? (optional)" name="promotion" rows=${3} value=${v.promotion}
      onInput=${(x) => setV({ ...v, promotion: x })} error=${fieldError('promotion')} />
    <${ProgramTerms} program=${program} />
    <label class="check"><input type="checkbox" name="accept_terms" checked=${terms} onChange=${(e) => setTerms(e.target.checked)} />
      <span>I have read and accept the terms of ${program.name}.</span></label>
    ${fieldError('accept_terms') ? html`<small class="field-error">${fieldError('accept_terms')}</small>` : null}
    <button type="button" disabled=${busy} onClick=${submit}>${busy ? 'Sending…' : 'Apply'}</button>`;
}

function ProgramTerms({ program }) {
  return html`<div class="terms-box"><strong>Program terms</strong> <span class="muted">(version ${program.terms_version})</span>
    <div class="terms pre" tabindex="0" aria-label="program terms">${program.terms}</div></div>`;
}

export function ApplyProgram({ programId, user }) {
  const [program, setProgram] = useState(undefined);
  const [loadError, setLoadError] = useState(null);
  const [v, setV] = useState({ name: '', email: '', password: '', website: '', promotion: '' });
  const [terms, setTerms] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => { get(`/v1/public/programs/${programId}`).then(setProgram).catch((e) => { setProgram(null); setLoadError(e); }); }, [programId]);
  const set = (k) => (x) => setV({ ...v, [k]: x });
  async function submit(e) {
    e.preventDefault();
    if (user && user.role === 'affiliate') return; /* ApplyAsPartner sends its own */
    setBusy(true);
    setError(null);
    const body = { program_id: program.id, terms_version: program.terms_version, name: v.name.trim(), email: v.email.trim(),
      password: v.password, accept_terms: terms };
    if (v.website.trim()) body.website = v.website.trim();
    if (v.promotion.trim()) body.promotion = v.promotion.trim();
    try {
      setDone(await post('/v1/signup', body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const fieldError = (name) => (error && error.field === name ? error.message : null);
  const head = html`<div class="brand big"><img src="/assets/favicon.svg" alt="" width="32" height="32" /> afftrack</div>`;
  if (program === undefined) return html`<main class="signin"><p class="muted">Loading…</p></main>`;
  if (program === null) {
    return html`<main class="signin"><div class="card form">${head}<h1>Applications closed</h1>
      <${Banner} kind="info">${loadError && loadError.status === 404 ? 'This program does not take applications at the moment.' : (loadError ? loadError.message : '')}</${Banner}>
      <a class="button secondary" href="#/">Sign in</a></div></main>`;
  }
  if (done) {
    return html`<main class="signin"><div class="card form">${head}
      <h1>Application received</h1>
      <${Banner} kind="success">Thank you, ${done.affiliate.name}. Your application to ${program.name} is waiting for the
        program manager's approval. You can already sign in with ${done.user.email}.</${Banner}>
      <a class="button" href="#/">Sign in</a></div></main>`;
  }
  return html`<main class="signin apply">
    <form class="card form" onSubmit=${submit} aria-label="apply" novalidate>
      ${head}
      <h1 class="wrap">Apply to ${program.name}</h1>
      ${program.description ? html`<p class="pre">${program.description}</p>` : null}
      ${user && user.role === 'affiliate' ? html`<${ApplyAsPartner} program=${program} user=${user} />` : html`
      ${user ? html`<${Banner} kind="info">You are signed in as ${user.email}. This form creates a new partner
        account.</${Banner}>` : null}
      ${error && !['name', 'email', 'password', 'website', 'promotion', 'accept_terms'].includes(error.field) ? html`<${Banner} error=${error} />` : null}
      <${Field} label="Your name or company" name="name" value=${v.name} onInput=${set('name')} required error=${fieldError('name')} />
      <${Field} label="Email" name="email" type="email" value=${v.email} onInput=${set('email')} required autocomplete="username" error=${fieldError('email')} />
      <${Field} label="Password" name="password" type="password" value=${v.password} onInput=${set('password')} required
        autocomplete="new-password" hint="at least 8 characters" error=${fieldError('password')} />
      <${Field} label="Website (optional)" name="website" type="url" value=${v.website} onInput=${set('website')}
        placeholder="https://your-site.example" error=${fieldError('website')} />
      <${Field} label="How will you promote us? (optional)" name="promotion" rows=${3} value=${v.promotion} onInput=${set('promotion')} error=${fieldError('promotion')} />
      <${ProgramTerms} program=${program} />
      <label class="check"><input type="checkbox" name="accept_terms" checked=${terms} onChange=${(e) => setTerms(e.target.checked)} />
        <span>I have read and accept the terms of ${program.name}.</span></label>
      ${fieldError('accept_terms') ? html`<small class="field-error">${fieldError('accept_terms')}</small>` : null}
      <button type="submit" disabled=${busy}>${busy ? 'Sending…' : 'Apply'}</button>
      <p class="muted">Already a partner? <a href="#/">Sign in</a>, then open this page again to apply with your account.</p>`}
    </form>
  </main>`;
}
