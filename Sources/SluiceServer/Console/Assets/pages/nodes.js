// Nodes: the fleet, one node's details, its labels (admin edits them) and revocation (admin).
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, when, number, empty, errorBanner, banner, action, field } from '../ui.js';
import { rolloutBadge } from './overview.js';

export async function nodesPage(main, { args, session, navigate }) {
  const selectedID = args[0];
  const showRevoked = h('input', { type: 'checkbox', id: 'show-revoked', on: { change: () => load() } });
  const listBox = h('div');
  const detailBox = h('div');
  mount(main,
    h('div.page-head', h('h1', 'Nodes'), h('div.actions', h('label', { class: 'inline' }, h('span', showRevoked, ' include revoked')))),
    h('div.split', panel('Fleet', listBox), detailBox));

  async function load() {
    try {
      const nodes = await api.get('/nodes', { include_revoked: showRevoked.checked ? 'true' : undefined });
      mount(listBox, table([
        { title: 'Node', cell: (n) => h('a', { href: `#/nodes/${encodeURIComponent(n.id)}` }, n.name, h('span.sub.mono', n.id)) },
        { title: 'State', cell: rolloutBadge },
        { title: 'Applied', cell: (n) => n.applied_revision == null ? h('span.muted', '—') : `r${n.applied_revision} / r${n.current_revision}` },
        { title: 'Heartbeat', cell: (n) => ago(n.last_heartbeat) },
      ], nodes, {
        selected: (n) => n.id === selectedID,
        emptyState: empty('No nodes enrolled yet', 'Create a join token (sluice tokens create NAME) and start `sluice agent --server URL --join-token TOKEN` on a node.'),
      }));
      if (selectedID) await detail(selectedID); else mount(detailBox, panel('Details', empty('Select a node', 'Its labels, versions and counters show here.')));
    } catch (error) {
      mount(listBox, errorBanner(error));
    }
  }

  async function detail(id) {
    const status = h('div', { 'aria-live': 'polite' });
    let node;
    try { node = await api.get(`/nodes/${encodeURIComponent(id)}`); } catch (error) { mount(detailBox, panel('Details', errorBanner(error))); return; }
    const labels = Object.entries(node.labels || {});
    const controls = [];
    if (session.can('admin') && !node.revoked) {
      const input = h('input', { name: 'labels', id: 'node-labels', value: labels.map(([k, v]) => `${k}=${v}`).join(','), placeholder: 'env=prod,role=web' });
      controls.push(h('h3', 'Labels'), h('div.form-grid', field('key=value, comma separated', input),
        action('Save labels', async () => {
          const map = {};
          for (const pair of input.value.split(',').map((p) => p.trim()).filter(Boolean)) {
            const at = pair.indexOf('=');
            if (at < 1) throw new Error(`"${pair}" is not key=value`);
            map[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
          }
          await api.put(`/nodes/${encodeURIComponent(id)}/labels`, { labels: map });
          navigate(`#/nodes/${encodeURIComponent(id)}`);
        }, { onError: (e) => mount(status, errorBanner(e)) })));
      controls.push(h('h3', 'Danger zone'), h('p.muted', 'Revoking stops the node\'s credential at once; it must enroll again with a join token.'),
        action('Revoke node', async () => {
          if (!confirm(`Revoke ${node.name}? Its agent can no longer reach the server.`)) return;
          await api.post(`/nodes/${encodeURIComponent(id)}/revoke`);
          navigate('#/nodes');
        }, { kind: 'danger', onError: (e) => mount(status, errorBanner(e)) }));
    }
    mount(detailBox, panel([node.name, ' ', rolloutBadge(node)],
      status,
      node.apply_error ? banner('error', h('strong', `Revision r${node.failed_revision ?? '?'} failed to apply: `), node.apply_error) : null,
      h('dl.facts',
        h('dt', 'Id'), h('dd.mono', node.id),
        h('dt', 'Labels'), h('dd', labels.length ? labels.map(([k, v]) => h('span', badge(`${k}=${v}`, 'label'), ' ')) : h('span.muted', 'none')),
        h('dt', 'Applied revision'), h('dd', node.applied_revision == null ? 'none yet' : `r${node.applied_revision}`, h('span.muted', ` (fleet is at r${node.current_revision})`)),
        h('dt', 'Policy generation'), h('dd', String(node.policy_generation)),
        h('dt', 'Rules loaded'), h('dd', number(node.rules_loaded)),
        h('dt', 'Decisions'), h('dd', `${number(node.decisions.allow)} allowed · ${number(node.decisions.deny)} denied`),
        h('dt', 'Events buffered'), h('dd', number(node.events_buffered)),
        h('dt', 'Events lost'), h('dd', lost(node.events_lost)),
        h('dt', 'Last heartbeat'), h('dd', ago(node.last_heartbeat), node.stale ? h('span', ' ', badge('stale')) : null),
        h('dt', 'Enrolled'), h('dd', when(node.enrolled), node.join_token ? h('span.muted', ` with join token ${node.join_token}`) : null),
        h('dt', 'Agent'), h('dd', node.agent_version), h('dt', 'Kernel'), h('dd', node.kernel),
        node.revoked ? [h('dt', 'Revoked'), h('dd', when(node.revoked))] : null),
      h('p', h('a', { href: `#/events/${encodeURIComponent(node.name)}` }, 'Events of this node →')),
      controls));
  }

  await load();
}

/// Losses by where they happened; none is good news worth saying.
function lost(losses) {
  const parts = Object.entries(losses || {}).filter(([, count]) => count > 0);
  if (!parts.length) return h('span.muted', 'none');
  return h('span', parts.map(([where, count]) => badge(`${number(count)} ${where}`, 'error')));
}
