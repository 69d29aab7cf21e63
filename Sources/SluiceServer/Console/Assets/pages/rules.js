// Learned rules: proposals with their reasons and hit counts; approve, reject or revoke them.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, empty, errorBanner, banner, action, field, select, number } from '../ui.js';
import { replayReport } from './policy-preview.js';

/// Which decisions make sense in each state (the server checks again).
const choices = {
  proposed: ['approve', 'reject'],
  installed: ['approve', 'revoke'],
  approved: ['revoke'],
};

export async function rulesPage(main, { session, navigate }) {
  const state = select('state', [['', 'all'], ['proposed', 'proposed'], ['installed', 'installed'], ['approved', 'approved'], ['rejected', 'rejected'], ['revoked', 'revoked'], ['expired', 'expired']],
    sessionStorage.getItem('rules.state') ?? '');
  state.id = 'rule-state';
  const status = h('div', { 'aria-live': 'polite' });
  const listBox = h('div');
  const previewBox = h('div');
  state.addEventListener('change', () => { sessionStorage.setItem('rules.state', state.value); load(); });
  mount(main, h('div.page-head', h('h1', 'Learned rules'), h('div.actions', field('State', state))),
    h('p.muted', 'Nodes learn rules from observed traffic and propose them (or install them for a while). Approving makes a rule permanent on its node; rejecting or revoking removes it.'),
    status, previewBox, panel('Rules', listBox));

  // Approving shows first what the rule would have done to its node's last 7 days; the
  // operator confirms under that.
  function preview(record) {
    const path = `/rules/${encodeURIComponent(record.node_id)}/${encodeURIComponent(record.rule.id)}/preview`;
    const onError = (e) => mount(status, errorBanner(e));
    mount(previewBox, panel(`Approve ${record.rule.id} on ${record.node}?`,
      replayReport(api.get(path, { since: '7d' }), `What approving ${record.rule.id} would have done on ${record.node}`, 'Approving it'),
      h('div.actions',
        action(`Approve ${record.rule.id}`, async () => { mount(previewBox); await decide(record, 'approve'); }, { kind: 'primary', onError, name: 'confirm-approve' }),
        action('Cancel', () => mount(previewBox), { kind: 'small', name: 'cancel' }))));
    previewBox.scrollIntoView?.({ block: 'nearest' });
  }

  async function decide(record, decision) {
    const note = decision === 'approve' ? null : prompt(`Why ${decision} this rule? (optional)`, '');
    if (note === null && decision !== 'approve') return;
    await api.post(`/rules/${encodeURIComponent(record.node_id)}/${encodeURIComponent(record.rule.id)}/decision`, { decision, note: note || null });
    mount(status, banner('ok', `${decision[0].toUpperCase() + decision.slice(1)}d rule ${record.rule.id} on ${record.node}; the node applies it at its next heartbeat.`));
    await load();
  }

  async function load() {
    try {
      const rules = await api.get('/rules', { state: state.value });
      const onError = (e) => mount(status, errorBanner(e));
      mount(listBox, table([
        { title: 'Rule', cell: (r) => h('span', h('code', r.rule.id), h('span.sub', r.node)) },
        { title: 'Subject', cell: (r) => h('span.mono', r.rule.executable || r.rule.cgroup || 'node') },
        { title: 'Traffic', cell: (r) => h('span', badge(r.rule.action), ' ', h('code', `${r.rule.destination}:${r.rule.port}/${r.rule.transport}`)) },
        { title: 'Reasons', cell: (r) => h('span', r.rule.reasons.join(', ') || '—', h('span.sub', `score ${r.rule.score.toFixed(1)} (threshold ${r.rule.threshold.toFixed(1)}) · ${r.rule.evidence} observations`)) },
        { title: 'Hits', class: 'num', cell: (r) => h('span', number(r.rule.hits), h('span.sub', r.rule.last_hit ? ago(r.rule.last_hit / 1e6) : 'never')) },
        { title: 'State', cell: (r) => h('span', badge(r.rule.state), r.decision ? h('span.sub', `${r.decision.decision} by ${r.decision.decided_by}${r.decision_delivered ? '' : ' (not yet applied)'}`)
          : r.rule.state === 'installed' ? h('span.sub', 'expires ', ago(r.rule.expires / 1e6)) : null) },
        { title: '', cell: (r) => session.can('operator') && !r.decision
          ? h('span', (choices[r.rule.state] || []).map((d) => action(d[0].toUpperCase() + d.slice(1), () => (d === 'approve' ? preview(r) : decide(r, d)), { kind: `small ${d === 'approve' ? 'primary' : 'danger'}`, onError, name: d })))
          : null },
      ], rules, { emptyState: empty('No learned rules', 'Nodes with learning enabled propose rules here as they observe traffic.') }));
    } catch (error) {
      mount(listBox, errorBanner(error));
    }
  }
  await load();
}
