// signup.js - the public application form (POST /v1/signup, when the server has
// affiliate_signup on): a pending affiliate and its portal login; an admin approves it.
import { useState } from '../vendor/hooks.mjs';
import { post } from '../api.js';
import { html, Banner, Field } from '../ui.js';

export function SignUp() {
  const [v, setV] = useState({ name: '', email: '', password: '' });
  const [terms, setTerms] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  const [busy, setBusy] = useState(false);
  const set = (k) => (x) => setV({ ...v, [k]: x });
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setDone(await post('/v1/signup', { name: v.name.trim(), email: v.email.trim(), password: v.password, accept_terms: terms }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  const fieldError = (name) => (error && error.field === name ? error.message : null);
  if (done) {
    return html`<main class="signin"><div class="card form">
      <div class="brand big"><img src="/assets/favicon.svg" alt="" width="32" height="32" /> afftrack</div>
      <h1>Application received</h1>
      <${Banner} kind="success">Thank you, ${done.affiliate.name}. Your application is waiting for the program
        manager's approval. You can already sign in with ${done.user.email}; your links appear once you are approved.</${Banner}>
      <a class="button" href="#/">Sign in</a>
    </div></main>`;
  }
  return html`<main class="signin">
    <form class="card form" onSubmit=${submit} aria-label="apply" novalidate>
      <div class="brand big"><img src="/assets/favicon.svg" alt="" width="32" height="32" /> afftrack</div>
      <h1>Apply as a partner</h1>
      ${error && !['name', 'email', 'password', 'accept_terms'].includes(error.field) ? html`<${Banner} error=${error} />` : null}
      <${Field} label="Your name or company" name="name" value=${v.name} onInput=${set('name')} required error=${fieldError('name')} />
      <${Field} label="Email" name="email" type="email" value=${v.email} onInput=${set('email')} required autocomplete="username" error=${fieldError('email')} />
      <${Field} label="Password" name="password" type="password" value=${v.password} onInput=${set('password')} required
        autocomplete="new-password" hint="at least 8 characters" error=${fieldError('password')} />
      <label class="check"><input type="checkbox" name="accept_terms" checked=${terms} onChange=${(e) => setTerms(e.target.checked)} />
        <span>I accept the partner program's terms and conditions.</span></label>
      ${fieldError('accept_terms') ? html`<small class="field-error">${fieldError('accept_terms')}</small>` : null}
      <button type="submit" disabled=${busy}>${busy ? 'Sending…' : 'Apply'}</button>
      <p class="muted">Already a partner? <a href="#/">Sign in</a></p>
    </form>
  </main>`;
}
