// signin.js - the sign-in form: POST /v1/session, then the app shows the user's pages.
import { useState } from '../vendor/hooks.mjs';
import { post } from '../api.js';
import { html, Banner, Field } from '../ui.js';

export function SignIn({ onSignedIn, notice }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await post('/v1/session', { email: email.trim(), password }));
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }
  return html`<main class="signin">
    <form class="card form" onSubmit=${submit} aria-label="sign in">
      <div class="brand big"><img src="/assets/favicon.svg" alt="" width="32" height="32" /> afftrack</div>
      <h1>Sign in</h1>
      ${notice && !error ? html`<${Banner} kind="info">${notice}</${Banner}>` : null}
      <${Banner} error=${error} />
      <${Field} label="Email" name="email" type="email" value=${email} onInput=${setEmail} required autocomplete="username" />
      <${Field} label="Password" name="password" type="password" value=${password} onInput=${setPassword} required autocomplete="current-password" />
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
      <p class="muted">New partner? <a href="#/apply">Apply to the program</a></p>
    </form>
  </main>`;
}
