// Alerts: the list with filters and paging, bulk acknowledgement, one alert with the events around it, silences.
import * as api from '../api.js';
import { h, mount, panel, table, badge, ago, when, timeOfDay, empty, errorBanner, banner, action, field, select, verdict, shortExe, alertDestination, number } from '../ui.js';

const kinds = { policy_deny: 'Policy deny', alert_rule: 'Alert rule', anomaly: 'Anomaly' };

export async function alertsPage(main, { args, session, navigate }) {
  const selectedID = args[0];
  const state = select('state', [['open', 'open'], ['acknowledged', 'acknowledged'], ['', 'all']], sessionStorage.getItem('alerts.state') ?? 'open');
  state.id = 'alert-state';
  const kind = select('kind', [['', 'any kind'], ...Object.entries(kinds)], sessionStorage.getItem('alerts.kind') ?? '');
  kind.id = 'alert-kind';
  const node = h('input', { name: 'node', id: 'alert-node', placeholder: 'node name or id', value: sessionStorage.getItem('alerts.node') ?? '' });
  const exe = h('input', { name: 'exe', id: 'alert-exe', placeholder: '/usr/bin/curl', value: sessionStorage.getItem('alerts.exe') ?? '' });
  const policy = h('input', { name: 'policy', id: 'alert-policy', placeholder: 'policy', value: sessionStorage.getItem('alerts.policy') ?? '' });
  const filters = { state, kind, node, exe, policy };
  const listBox = h('div');
  const detailBox = h('div');
  const silencesBox = h('div');
  for (const [key, input] of Object.entries(filters)) {
    input.addEventListener('change', () => { sessionStorage.setItem(`alerts.${key}`, input.value.trim()); load(); });
  }
  mount(main, h('div.page-head', h('h1', 'Alerts'),
    h('div.actions', field('Show', state), field('Kind', kind), field('Node', node), field('Application', exe), field('Policy', policy))),
  h('div.split', panel('Alerts', listBox), h('div', detailBox, silencesBox)));

  // The rows shown (pages appended as they load) and the ones ticked for a bulk acknowledgement.
  let rows = [];
  let next = null;
  const ticked = new Set();
  // What the last bulk action did, kept across the reload it causes.
  let notice = null;

  function query(cursor) {
    const q = { limit: 50, cursor };
    for (const [key, input] of Object.entries(filters)) if (input.value.trim()) q[key] = input.value.trim();
    return q;
  }

  async function load(more = false) {
    try {
      const page = await api.get('/alerts', query(more ? next : undefined));
      rows = more ? rows.concat(page.items) : page.items;
      if (!more) ticked.clear();
      next = page.next_cursor || null;
      render(page.total);
    } catch (error) {
      mount(listBox, errorBanner(error));
    }
  }

  function render(total) {
    const status = h('div', { 'aria-live': 'polite' }, notice);
    notice = null;
    const canAck = session.can('operator');
    const bulk = canAck ? action('Acknowledge selected', async () => {
      if (!ticked.size) { mount(status, banner('warn', 'Tick the alerts to acknowledge first.')); return; }
      const result = await api.post('/alerts/ack', { ids: [...ticked] });
      notice = banner('ok', `${number(result.acknowledged)} acknowledged`);
      await load();
    }, { name: 'acknowledge-selected', onError: (e) => mount(status, errorBanner(e)) }) : null;
    const columns = [
      { title: 'Alert', cell: (a) => h('a', { href: `#/alerts/${a.id}` }, kinds[a.kind] || a.kind, h('span.sub', `#${a.id} · ${a.node}`)) },
      { title: 'What', cell: (a) => h('span', verdict(a.verdict), ' ', shortExe(a.exe), ' → ', h('code', alertDestination(a))) },
      { title: 'Count', class: 'num', cell: (a) => number(a.count) },
      { title: 'State', cell: (a) => badge(a.state) },
      { title: 'Last seen', cell: (a) => ago(a.last_seen) },
    ];
    if (canAck) {
      columns.unshift({ title: '', cell: (a) => a.state === 'open' ? h('input', { type: 'checkbox', name: 'pick', value: a.id, 'aria-label': `select alert ${a.id}`, checked: ticked.has(a.id),
        on: { change: (event) => { if (event.target.checked) ticked.add(a.id); else ticked.delete(a.id); } } }) : null });
    }
    mount(listBox,
      h('p.muted#alert-total', `${number(total)} alert${total === 1 ? '' : 's'} match · showing ${number(rows.length)}, most recently seen first`),
      status,
      bulk,
      table(columns, rows, {
        selected: (a) => String(a.id) === selectedID,
        emptyState: empty(state.value === 'open' ? 'No open alerts' : 'No alerts', 'Denies in policies with alerting, alert rules and anomalies raise alerts.'),
      }),
      next ? action('Load more', () => load(true), { name: 'load-more' }) : null);
  }

  async function silences() {
    try {
      const list = (await api.get('/silences')).filter((s) => s.active);
      mount(silencesBox, panel('Silences in force', table([
        { title: 'Holds back', cell: (s) => h('span', Object.entries(s.match).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${v}`).join(', ')) },
        { title: 'Why', cell: (s) => h('span', s.comment, h('span.sub', `by ${s.created_by}`)) },
        { title: 'Until', cell: (s) => when(s.expires) },
        { title: 'Held back', class: 'num', cell: (s) => number(s.silenced) },
        { title: '', cell: (s) => session.can('operator') ? action('End', async () => { await api.request('DELETE', `/silences/${s.id}`); await silences(); }, { name: 'end-silence' }) : null },
      ], list, { emptyState: empty('No silences', 'Silence an alert\'s application and destination from its details.') })));
    } catch (error) {
      mount(silencesBox, errorBanner(error));
    }
  }

  async function detail(id) {
    const status = h('div', { 'aria-live': 'polite' });
    try {
      const [alert, context] = await Promise.all([api.get(`/alerts/${id}`), api.lines(`/alerts/${id}/events`, { limit: 50 })]);
      context.items.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
      const controls = [];
      if (alert.state === 'open' && session.can('operator')) {
        const note = h('input', { name: 'note', id: 'ack-note', placeholder: 'What was done (optional)' });
        controls.push(h('div.form-grid', field('Note', note), action('Acknowledge', async () => {
          await api.post(`/alerts/${id}/ack`, note.value.trim() ? { note: note.value.trim() } : {});
          navigate(`#/alerts/${id}`);
        }, { kind: 'primary', name: 'acknowledge', onError: (e) => mount(status, errorBanner(e)) })));
      }
      if (session.can('operator')) {
        const span = select('duration', [['3600', '1 hour'], ['86400', '1 day'], ['604800', '7 days']], '86400');
        span.id = 'silence-duration';
        const why = h('input', { name: 'why', id: 'silence-comment', placeholder: 'Why (required)' });
        controls.push(h('div.form-grid', field('Silence this application and destination for', span), field('Because', why), action('Silence', async () => {
          const match = { node_id: alert.node_id, exe: alert.exe || undefined, destination: alert.destination, port: alert.port };
          await api.post('/silences', { match, duration_seconds: Number(span.value), comment: why.value.trim() });
          mount(status, banner('ok', 'Silenced: new alerts like this one arrive acknowledged until the silence ends.'));
          await silences();
        }, { name: 'silence', onError: (e) => mount(status, errorBanner(e)) })));
      }
      mount(detailBox, panel([`${kinds[alert.kind] || alert.kind} #${alert.id}`, ' ', badge(alert.state)],
        status,
        alert.state === 'acknowledged' ? banner('ok', `Acknowledged by ${alert.acknowledged_by} `, ago(alert.acknowledged), alert.note ? `: ${alert.note}` : '') : null,
        h('dl.facts',
          h('dt', 'Node'), h('dd', h('a', { href: `#/nodes/${encodeURIComponent(alert.node_id)}` }, alert.node)),
          h('dt', 'Verdict'), h('dd', verdict(alert.verdict)),
          h('dt', 'Executable'), h('dd.mono', alert.exe || '(unknown)'),
          h('dt', 'Destination'), h('dd.mono', alertDestination(alert)),
          alert.policy ? [h('dt', 'Policy'), h('dd', `${alert.policy}${alert.rule ? ' / ' + alert.rule : ''}`)] : null,
          alert.score != null ? [h('dt', 'Anomaly score'), h('dd', alert.score.toFixed(1))] : null,
          h('dt', 'Occurrences'), h('dd', `${number(alert.count)} between `, when(alert.first_seen), ' and ', when(alert.last_seen))),
        controls,
        h('h3', 'Event context'),
        table([
          { title: 'Time', cell: (e) => timeOfDay(e.time) },
          { title: 'Verdict', cell: (e) => verdict(e.verdict) },
          { title: 'Process', cell: (e) => h('span', e.comm || shortExe(e.exe), h('span.sub', `pid ${e.pid}`)) },
          { title: 'Destination', cell: (e) => h('code', `${e.dst_ip}:${e.dst_port}/${e.protocol}`) },
          { title: 'Why', cell: (e) => e.reasons && e.reasons.length ? e.reasons.join(', ') : (e.policy ? `${e.policy} / ${e.rule}` : e.rule) },
        ], context.items, { emptyState: empty('No stored events around this alert', 'They may have aged out of retention.') })));
    } catch (error) {
      mount(detailBox, panel('Alert', errorBanner(error)));
    }
  }

  await Promise.all([load(), silences()]);
  if (selectedID) await detail(selectedID); else mount(detailBox, panel('Details', empty('Select an alert', 'Its events and the acknowledgement show here.')));
}
