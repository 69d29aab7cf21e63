// Sign-in: a session cookie (HttpOnly, set by the server) and a CSRF token for this page.
import * as api from '../api.js';
import { h, mount, banner, errorBanner } from '../ui.js';

export function signInPage(root, { message, signedIn }) {
  const status = h('div', { 'aria-live': 'polite' }, message ? banner('ok', message) : null);
  const name = h('input', { name: 'name', id: 'signin-name', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { name: 'password', id: 'signin-password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button.primary', { type: 'submit', id: 'signin-submit' }, 'Sign in');
  const form = h('form.panel', { on: { submit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const created = await api.post('/login', { name: name.value, password: password.value, session: true });
      signedIn(created);
    } catch (error) {
      mount(status, errorBanner(error));
      password.select();
    } finally {
      submit.disabled = false;
    }
  } } },
  h('div.brand', h('img', { src: '/console/favicon.svg', alt: '' }), 'Sluice'),
  h('p.muted', 'Sign in to manage policy, watch traffic and handle alerts.'),
  status,
  h('label', { for: 'signin-name' }, 'User name', name),
  h('label', { for: 'signin-password' }, 'Password', password),
  submit);
  mount(root, h('main.signin#main', form));
  name.focus();
}
