// Pieces of the policies page: a diff view and the explain form.
import * as api from '../api.js';
import { h, mount, panel, badge, errorBanner, field, select } from '../ui.js';

/// A unified diff, lines coloured by kind.
export function diffView(text) {
  if (!text) return h('p.muted', 'No changes.');
  return h('pre.diff', text.split('\n').map((line) => {
    const kind = line.startsWith('@@') ? 'hunk' : line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : null;
    return kind ? h('span', { class: kind }, line) : line + '\n';
  }));
}

/// "Would this executable reach this destination?" under the deployed policies.
export function explainPanel() {
  const exe = h('input', { name: 'exe', id: 'explain-exe', placeholder: '/usr/bin/curl' });
  const cgroup = h('input', { name: 'cgroup', id: 'explain-cgroup', placeholder: 'system.slice/app.service (optional)' });
  const destination = h('input', { name: 'destination', id: 'explain-destination', placeholder: '10.0.0.5', required: true });
  const port = h('input', { name: 'port', id: 'explain-port', type: 'number', min: 1, max: 65535, value: 443, required: true });
  const transport = select('transport', [['tcp', 'TCP'], ['udp', 'UDP']], 'tcp');
  const node = h('input', { name: 'node', id: 'explain-node', placeholder: 'any node (optional)' });
  const domain = h('input', { name: 'domain', id: 'explain-domain', placeholder: 'api.github.com (optional)' });
  const result = h('div.explain-result', { 'aria-live': 'polite' });
  const form = h('form', { on: { submit: async (event) => {
    event.preventDefault();
    try {
      const answer = await api.post('/policies/explain', {
        executable: exe.value.trim() || null, cgroup: cgroup.value.trim() || null, destination: destination.value.trim(),
        port: Number(port.value), transport: transport.value, node: node.value.trim() || null,
        domain: domain.value.trim() || null,
      });
      const e = answer.explanation;
      mount(result,
        h('p.verdict', badge(e.verdict.toUpperCase(), e.verdict), ' ',
          e.monitor ? 'monitor mode: reported, not enforced' : e.blocks ? 'the connection fails with EPERM' : 'the connection goes through'),
        h('dl.facts',
          h('dt', 'Decided by'), h('dd', e.policy ? `rule ${e.rule} of policy ${e.policy}` : e.rule === 'node-default' ? 'the built-in node default (allow)' : `rule ${e.rule}`,
            e.rule_location ? h('span.muted', ` at ${e.rule_location}`) : null),
          h('dt', 'Subject'), h('dd', e.subject, e.by_default ? h('span.muted', ' (its default: no rule matched)') : null),
          e.matched_prefix ? [h('dt', 'Matched'), h('dd', h('code', e.matched_prefix))] : null,
          e.matched_name ? [h('dt', 'Matched name'), h('dd', h('code', e.matched_name))] : null,
          h('dt', 'Policies'), h('dd', answer.policies.length ? answer.policies.join(', ') : h('span.muted', 'none deployed'))),
        h('h3', 'Trace'), h('pre', e.trace.join('\n')),
        h('p.muted.explain-scope', 'Explained with the server\'s policies only: a node\'s local policy folder, learned rules and feed layers are not known here. ',
          'For a node\'s merged policy run ', h('code', 'sluice policy explain'), ' on that node.'));
    } catch (error) {
      mount(result, errorBanner(error));
    }
  } } },
  h('div.form-grid', field('Executable path', exe), field('Cgroup', cgroup), field('Destination IP', destination), field('Looked up as', domain), field('Port', port), field('Protocol', transport), field('Node', node),
    h('div', h('button.primary', { type: 'submit', id: 'explain-submit' }, 'Explain'))));
  return panel(['Explain a connection', h('span.aside', 'by path, with the server\'s policies (not a node\'s local ones) and the kernel\'s precedence')], form, result);
}
