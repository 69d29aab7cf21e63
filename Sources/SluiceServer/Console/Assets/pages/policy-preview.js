// The deploy step's what-if: the edited text replayed over the last 7 days of stored decisions
// (POST /policies/test) before the operator confirms, with a drill-down per application and destination.
import * as api from '../api.js';
import { h, mount, banner, errorBanner, number, table } from '../ui.js';

/// A panel that fills itself with the replay of `documents` (named `fileNames`).
export function replayPreview(documents, fileNames) {
  return replayReport(api.post('/policies/test', { documents, file_names: fileNames, since: '7d' }), 'What this change would have done', 'This change');
}

/// A panel that fills itself with the replay report `answer` resolves to (a policy test, a learned
/// rule's or a feed's preview, all over the last 7 days); `what` starts its sentence.
export function replayReport(answer, heading, what) {
  const box = h('div.replay-preview#replay-preview', { 'aria-live': 'polite' }, h('p.muted', 'Replaying the last 7 days of recorded decisions…'));
  answer.then((report) => mount(box, ...summary(report, heading, what), drillDown(report)))
    .catch((error) => mount(box, errorBanner(error)));
  return box;
}

function summary(report, heading, what) {
  const applications = `${number(report.applications_newly_denied)} application${report.applications_newly_denied === 1 ? '' : 's'}`;
  const sentence = `${what} would have denied ${number(report.newly_denied)} connection${report.newly_denied === 1 ? '' : 's'} of ${applications} in the last 7 days`
    + ` (${number(report.events)} decisions replayed; ${number(report.changed)} changed, ${number(report.newly_allowed)} newly allowed, ${number(report.unknown)} unknown).`
    + (report.rate_limited + report.rate_admitted > 0
      ? ` Its rate limits would refuse ${number(report.rate_limited)} connections (${number(report.newly_rate_limited)} that passed) and admit ${number(report.rate_admitted)}.`
      : '');
  return [
    h('h3', heading),
    banner(report.newly_denied + report.newly_rate_limited > 0 ? 'error' : 'ok', sentence),
    report.incomplete ? banner('warn', `Incomplete: ${report.incomplete}.`) : null,
    report.notes.length ? h('details.replay-notes', h('summary', `What the replay cannot know (${report.notes.length})`), h('ul', report.notes.map((n) => h('li', n)))) : null,
  ];
}

function drillDown(report) {
  if (!report.rows.length) return null;
  const columns = [
    { title: 'Application', cell: (r) => h('code', r.application) },
    { title: 'Destination', cell: (r) => `${r.destination}:${r.port}/${r.transport}` },
    { title: 'Change', cell: (r) => [...r.changes.map((c) => `${c.from} → ${c.to}: ${number(c.count)}`), ...(r.unknown ? [`unknown: ${number(r.unknown)}`] : [])].join(', ') },
    { title: 'Rule now → candidate', cell: (r) => `${r.before.join(', ') || '—'} → ${r.after.join(', ') || '—'}` },
    { title: 'Examples', cell: (r) => h('details', h('summary', `${r.examples.length}`), h('ul', [
      ...r.examples.map((e) => h('li', `${e.time} ${e.node} pid ${e.pid} ${e.comm} → ${e.address}: ${e.before} → ${e.after}`)),
      ...r.unknown_reasons.map((reason) => h('li.muted', reason)),
    ])) },
  ];
  return h('div.replay-rows', table(columns, report.rows, { rowClass: (r) => (r.changes.some((c) => c.newly_denied) ? 'deny' : '') }),
    report.rows_omitted ? h('p.muted', `${number(report.rows_omitted)} more rows not shown.`) : null);
}
