// Policies: list, editor with diagnostics at their lines, diff before deploy, deploy with a
// message, history with rollback, and the explain form.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, when, empty, errorBanner, banner, action, field, select } from '../ui.js';
import { diffView, explainPanel } from './policy-tools.js';
import { replayPreview } from './policy-preview.js';

// A message for the next page drawn (the result of a deploy, shown above the history).
let flash = null;

const template = `apiVersion: sluice/v1
kind: Policy
metadata:
  name: my-app
spec:
  subjects:
    - executable: /usr/bin/my-app
  egress:
    - name: https-out
      action: allow
      to: ["10.0.0.0/8"]
      ports: [443]
`;

export async function policiesPage(main, { args, session, navigate }) {
  const [name, tab = 'edit'] = args;
  const listBox = h('div');
  const workBox = h('div');
  const newButton = session.can('operator')
    ? h('button.primary', { type: 'button', id: 'new-policy', on: { click: () => navigate('#/policies/~new') } }, 'New policy') : null;
  mount(main, h('div.page-head', h('h1', 'Policies'), h('div.actions', newButton)),
    h('div.split.wide', panel('Policies', listBox), workBox), explainPanel());

  let policies = [];
  try {
    policies = await api.get('/policies');
    mount(listBox, table([
      { title: 'Policy', cell: (p) => h('a', { href: `#/policies/${encodeURIComponent(p.name)}` }, p.name) },
      { title: 'Version', cell: (p) => `v${p.version}` },
      { title: 'Nodes', cell: (p) => Object.keys(p.node_selector || {}).length ? Object.entries(p.node_selector).map(([k, v]) => badge(`${k}=${v}`, 'label')) : h('span.muted', 'all') },
      { title: 'Changed', cell: (p) => h('span', ago(p.created), h('span.sub', `by ${p.author}`)) },
    ], policies, {
      selected: (p) => p.name === name,
      emptyState: empty('No policies yet', session.can('operator') ? 'Write one with “New policy”, or push files with `sluice policy push`.' : 'An operator pushes them with `sluice policy push`.'),
    }));
  } catch (error) {
    mount(listBox, errorBanner(error));
  }

  if (!name) {
    mount(workBox, panel('Editor', empty('Select a policy', 'Its text, history and rollbacks show here.')));
    return;
  }
  if (name === '~new') {
    mount(workBox, panel('New policy', editor({ name: null, text: template, session, navigate })));
    return;
  }
  const current = policies.find((p) => p.name === name);
  if (!current) { mount(workBox, panel(name, banner('error', `There is no policy ${name}.`))); return; }
  const tabs = h('div.tabs', { role: 'tablist' },
    ['edit', 'history'].map((t) => h('button', { type: 'button', role: 'tab', 'aria-selected': String(t === tab), id: `tab-${t}`,
      on: { click: () => navigate(`#/policies/${encodeURIComponent(name)}/${t}`) } }, t === 'edit' ? 'Text' : 'History')));
  const body = tab === 'history' ? await history(current, session, navigate) : editor({ name, text: current.yaml, session, navigate, current });
  mount(workBox, panel([current.name, ' ', h('span.muted', `v${current.version}`)], tabs, body));
}

/// The editor: a textarea with a gutter of line numbers; diagnostics are marked on their line.
function editor({ name, text, session, navigate }) {
  const gutter = h('div.gutter', { 'aria-hidden': 'true' });
  const textarea = h('textarea', { id: 'policy-text', name: 'policy', 'aria-label': 'Policy text (YAML)', value: text });
  textarea.spellcheck = false;
  const status = h('div', { 'aria-live': 'polite' });
  const diagnosticsBox = h('div');
  const review = h('div');
  let marks = new Map();

  function drawGutter() {
    const count = textarea.value.split('\n').length;
    mount(gutter, Array.from({ length: count }, (_, i) => {
      const mark = marks.get(i + 1);
      return h('div', { class: `line${mark ? ' ' + mark.severity : ''}`, 'data-line': String(i + 1), title: mark ? mark.message : null }, String(i + 1));
    }));
    gutter.scrollTop = textarea.scrollTop;
  }
  textarea.addEventListener('input', () => { marks = new Map(); drawGutter(); mount(review); });
  textarea.addEventListener('scroll', () => { gutter.scrollTop = textarea.scrollTop; });
  // Tab indents by two spaces, as YAML wants; Escape then Tab (or Shift+Tab) leaves the editor,
  // so the keyboard is never trapped in it.
  let escaped = false;
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') { escaped = true; return; }
    if (event.key === 'Tab' && !event.shiftKey && !event.ctrlKey && !escaped) {
      event.preventDefault();
      textarea.setRangeText('  ', textarea.selectionStart, textarea.selectionEnd, 'end');
      drawGutter();
    }
    escaped = false;
  });
  drawGutter();

  function goTo(line) {
    const lines = textarea.value.split('\n');
    const offset = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
    textarea.focus();
    textarea.setSelectionRange(offset, offset + (lines[line - 1] || '').length);
    textarea.scrollTop = Math.max(0, (line - 5) * 19);
  }

  const fileName = name || 'new policy';
  async function validate() {
    mount(status);
    const result = await api.post('/policies/validate', { documents: [textarea.value], file_names: [fileName] });
    marks = new Map();
    for (const d of result.diagnostics) {
      if (d.file === fileName && d.line > 0 && (!marks.has(d.line) || d.severity === 'error')) marks.set(d.line, d);
    }
    drawGutter();
    mount(diagnosticsBox, result.diagnostics.length ? h('ul.diagnostics#diagnostics', result.diagnostics.map((d) => h('li', { class: d.severity },
      badge(d.severity, d.severity),
      d.file === fileName && d.line > 0 ? h('button.small', { type: 'button', on: { click: () => goTo(d.line) } }, `line ${d.line}:${d.column}`) : (d.file ? h('code', `${d.file}:${d.line}`) : null),
      d.field ? h('code', d.field) : null,
      h('span', d.message)))) : null);
    if (result.valid) mount(status, banner('ok', result.diagnostics.length ? 'Valid, with warnings.' : 'Valid: a push would be accepted.'));
    else mount(status, banner('error', `${result.diagnostics.filter((d) => d.severity === 'error').length || 'Some'} error(s): nothing can be deployed until they are fixed.`));
    return result;
  }

  const onError = (error) => mount(status, errorBanner(error));
  const buttons = [action('Validate', validate, { onError, name: 'validate' })];
  if (session.can('operator')) {
    buttons.push(action('Review and deploy…', async () => {
      const result = await validate();
      if (!result.valid) { mount(review); return; }
      const message = h('input', { id: 'deploy-message', name: 'message', placeholder: 'Why this change (shown in the history)', required: true });
      const changed = result.diffs.filter((d) => d.diff);
      mount(review, h('h3', 'Changes against the deployed version'),
        changed.length ? changed.map((d) => h('div', h('p', h('strong', d.name), h('span.muted', d.from ? ` v${d.from} → v${d.to}` : ' (new policy)')), diffView(d.diff)))
          : banner('warn', 'The text equals the deployed version: deploying changes nothing.'),
        changed.length ? replayPreview([textarea.value], [fileName]) : null,
        h('div.form-grid', field('Deploy message', message),
          action('Deploy', async () => {
            if (!message.value.trim()) { message.focus(); throw new Error('Write a message saying why.'); }
            const response = await api.post('/policies', { documents: [textarea.value], file_names: [fileName], message: message.value.trim() });
            const created = response.created.map((v) => `${v.name} v${v.version}`).join(', ') || 'nothing new';
            const target = response.created[0]?.name || result.policies[0];
            flash = banner('ok', `Deployed ${created} at revision r${response.revision}.`, response.warnings.length ? ` ${response.warnings.length} warning(s).` : '');
            navigate(`#/policies/${encodeURIComponent(target)}/history`);
          }, { kind: 'primary', onError, name: 'deploy' })));
    }, { kind: 'primary', onError, name: 'review' }));
  }
  if (name && session.can('operator')) {
    buttons.push(action('Delete policy', async () => {
      const message = prompt(`Delete ${name} from every node? Say why:`, 'no longer needed');
      if (message === null) return;
      await api.request('DELETE', `/policies/${encodeURIComponent(name)}`, { query: { message } });
      navigate('#/policies');
    }, { kind: 'danger', onError }));
  }
  return h('div', status, h('div.editor', gutter, textarea), h('p.hint.muted', 'Tab indents; Esc then Tab leaves the editor.'), diagnosticsBox, h('div.filters', { class: 'filters', role: 'toolbar' }, h('div.buttons', buttons)), review,
    session.can('operator') ? null : h('p.muted', 'You can read and validate policy; deploying needs the operator role.'));
}

async function history(current, session, navigate) {
  const versions = await api.get(`/policies/${encodeURIComponent(current.name)}/history`);
  const diffBox = h('div');
  const status = h('div#history-status', { 'aria-live': 'polite' }, flash);
  flash = null;
  const onError = (error) => mount(status, errorBanner(error));
  const columns = [
    { title: 'Version', cell: (v) => h('span', `v${v.version}`, v.deleted ? h('span', ' ', badge('deleted', 'revoked')) : null) },
    { title: 'Message', cell: (v) => h('span.history-message', v.message || h('span.muted', '(none)')) },
    { title: 'Author', cell: (v) => v.author },
    { title: 'When', cell: (v) => when(v.created) },
    { title: '', cell: (v) => h('span', v.version > 1 ? action('Diff', async () => {
      const diff = await api.get(`/policies/${encodeURIComponent(current.name)}/diff`, { from: v.version - 1, to: v.version });
      mount(diffBox, h('h3', `v${diff.from} → v${diff.to}`), diffView(diff.diff));
    }, { kind: 'small', onError }) : null, ' ',
    session.can('operator') && v.version !== current.version ? action('Roll back', async () => {
      const message = prompt(`Roll ${current.name} back to v${v.version}? Say why:`, `rollback to v${v.version}`);
      if (message === null) return;
      await api.post(`/policies/${encodeURIComponent(current.name)}/rollback`, { version: v.version, message });
      flash = banner('ok', `Rolled ${current.name} back to the text of v${v.version}.`);
      navigate(`#/policies/${encodeURIComponent(current.name)}/history`);
    }, { kind: 'small', onError }) : null) },
  ];
  return h('div', status, table(columns, versions), diffBox);
}
