// Events: the live stream (NDJSON over fetch) with filters and pause, and a search of stored
// events by time range.
import * as api from '../api.js';
import { h, mount, panel, table, badge, timeOfDay, when, empty, errorBanner, field, select, localInput, verdict, shortExe, number } from '../ui.js';

const maxRows = 300;

export async function eventsPage(main, { args }) {
  const node = h('input', { name: 'node', id: 'filter-node', placeholder: 'name or id', value: args[0] || '' });
  const exe = h('input', { name: 'exe', id: 'filter-exe', placeholder: '/usr/bin/curl' });
  const dst = h('input', { name: 'dst', id: 'filter-dst', placeholder: '10.0.0.0/8 or an address' });
  const domain = h('input', { name: 'domain', id: 'filter-domain', placeholder: 'api.example.com or *.example.com' });
  const verdictSelect = select('verdict', [['', 'any'], ['allow', 'allow'], ['alert', 'alert'], ['deny', 'deny']], '');
  verdictSelect.id = 'filter-verdict';
  const filters = () => ({ node: node.value.trim(), exe: exe.value.trim(), dst: dst.value.trim(), domain: domain.value.trim(), verdict: verdictSelect.value });

  const tabBox = h('div');
  let mode = 'live';
  let stop = null;
  const tabs = h('div.tabs', { role: 'tablist' }, [['live', 'Live'], ['search', 'Search stored events']].map(([key, text]) =>
    h('button', { type: 'button', role: 'tab', id: `tab-${key}`, 'aria-selected': String(key === mode), on: { click: () => show(key) } }, text)));

  function show(next) {
    mode = next;
    for (const button of tabs.children) button.setAttribute('aria-selected', String(button.id === `tab-${next}`));
    if (stop) { stop(); stop = null; }
    if (next === 'live') stop = live(tabBox, filters); else search(tabBox, filters);
  }

  const apply = h('button.primary', { type: 'submit', id: 'apply-filters' }, 'Apply filters');
  const form = h('form.filters', { on: { submit: (event) => { event.preventDefault(); show(mode); } } },
    field('Node', node), field('Executable', exe), field('Destination', dst), field('Domain', domain), field('Verdict', verdictSelect), h('div.buttons', apply));
  mount(main, h('div.page-head', h('h1', 'Events')), panel('Filters', form), h('section.panel', tabs, tabBox));
  show('live');
  return () => { if (stop) stop(); };
}

/// The event table's columns; `dated` shows the day too (stored events span days, live ones do not).
function columns({ dated = false } = {}) {
  return [
    { title: 'Time', cell: (e) => dated ? when(e.time) : timeOfDay(e.time) },
    { title: 'Node', cell: (e) => e.node },
    { title: 'Verdict', cell: (e) => h('span', verdict(e.verdict), e.enforced === false ? h('span.sub', 'not enforced') : null) },
    { title: 'Process', cell: (e) => h('span', { title: e.exe || '' }, e.comm || shortExe(e.exe), h('span.sub', e.exe || '')) },
    // The name the application looked up, under the address it got (text nodes: a name from DNS is never markup).
    { title: 'Destination', cell: (e) => h('span', { class: 'destination' }, h('code', `${e.family === 'ipv6' ? `[${e.dst_ip}]` : e.dst_ip}:${e.dst_port}/${e.protocol}`),
      e.dst_domain ? h('span.sub.domain', { title: e.dst_domain }, e.dst_domain) : null) },
    { title: 'Rule', class: 'hide-narrow', cell: (e) => h('span', e.policy ? `${e.policy} / ${e.rule}` : e.rule, e.anomaly ? h('span', ' ', badge(`anomaly ${e.score}`, 'alert')) : null) },
  ];
}

function row(e) {
  const tr = h('tr.new.event-row', { 'data-verdict': e.verdict }, columns().map((c) => h('td', { class: c.class }, c.cell(e))));
  return tr;
}

function live(box, filters) {
  const controller = new AbortController();
  const state = h('span.live-state', h('span.pulse'), h('span.state-text', 'connecting…'));
  const pause = h('button', { type: 'button', id: 'pause-live' }, 'Pause');
  const clear = h('button', { type: 'button' }, 'Clear');
  const tbody = h('tbody#live-events');
  const emptyRow = h('tr', h('td', { colSpan: 6 }, h('div.empty', h('strong', 'Waiting for events…'), h('span', 'Decisions appear here the moment a node uploads them.'))));
  tbody.append(emptyRow);
  const errorBox = h('div');
  let paused = false;
  let held = [];
  let seen = 0;
  const setState = (text, kind) => { state.className = `live-state ${kind || ''}`; state.lastChild.textContent = text; };

  function add(event) {
    if (emptyRow.isConnected) emptyRow.remove();
    tbody.prepend(row(event));
    while (tbody.children.length > maxRows) tbody.lastChild.remove();
  }
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) { held.forEach(add); held = []; }
    setState(paused ? 'paused' : 'live', paused ? 'paused' : '');
  });
  clear.addEventListener('click', () => { tbody.replaceChildren(emptyRow); });

  mount(box, h('div.page-head', state, h('div.actions', pause, clear)), errorBox,
    h('div.table-wrap', h('table', h('thead', h('tr', columns().map((c) => h('th', { class: c.class }, c.title)))), tbody)));

  const query = { ...filters() };
  api.stream('/events/stream', query, controller.signal, (item) => {
    if (item.notice) {
      if (item.notice === 'dropped') setState(`live · ${item.count} events dropped (too fast to show)`);
      return;
    }
    seen += 1;
    if (paused) { held.push(item); if (held.length > maxRows) held.shift(); setState(`paused · ${number(held.length)} new`, 'paused'); } else add(item);
  }, () => setState(paused ? 'paused' : 'live', paused ? 'paused' : ''))
    .then(() => setState('the stream ended; switch tabs to reconnect', 'off'))
    .catch((error) => { if (!controller.signal.aborted) { setState('disconnected', 'off'); mount(errorBox, errorBanner(error)); } });
  return () => controller.abort();
}

function search(box, filters) {
  const now = new Date();
  const from = h('input', { type: 'datetime-local', name: 'since', id: 'search-from', value: localInput(new Date(now - 3600e3)) });
  const to = h('input', { type: 'datetime-local', name: 'until', id: 'search-to', value: localInput(new Date(now.getTime() + 60e3)) });
  const results = h('div');
  let cursor = null;
  let items = [];
  const more = h('button', { type: 'button', hidden: true, on: { click: () => run(false) } }, 'Older events');
  async function run(fresh) {
    if (fresh) { items = []; cursor = null; }
    try {
      const page = await api.lines('/events', {
        ...filters(), since: new Date(from.value).toISOString(), until: new Date(to.value).toISOString(), cursor, limit: 100,
      });
      items = items.concat(page.items);
      cursor = page.next;
      more.hidden = !cursor;
      mount(results, h('p.muted', `${number(items.length)} event(s), the latest to reach the server first`), table(columns({ dated: true }), items, {
        emptyState: empty('No stored events match', 'Widen the time range or clear a filter.'),
      }));
    } catch (error) {
      mount(results, errorBanner(error));
    }
  }
  mount(box, h('form.filters', { on: { submit: (event) => { event.preventDefault(); run(true); } } },
    field('From', from), field('To', to), h('div.buttons', h('button.primary', { type: 'submit', id: 'search-events' }, 'Search'))), results, more);
  run(true);
}
