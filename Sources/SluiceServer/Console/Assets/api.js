// The server's REST API, called with the session cookie; state changes carry the CSRF token.
let csrfToken = null;

/// An API error with the server's message (and details, e.g. every diagnostic of a rejected push).
export class APIError extends Error {
  constructor(status, message, details) {
    super(message);
    this.status = status;
    this.details = details || [];
  }
}

export function setCSRF(token) { csrfToken = token; }

async function failure(response) {
  let message = `${response.status} ${response.statusText}`;
  let details = [];
  try {
    const body = await response.json();
    if (body.error) message = body.error;
    details = body.details || [];
  } catch { /* not JSON */ }
  if (response.status === 401 && onSignedOut) onSignedOut(message);
  return new APIError(response.status, message, details);
}

let onSignedOut = null;
/// Called when the server says the session is gone (expired, revoked, signed out elsewhere).
export function whenSignedOut(handler) { onSignedOut = handler; }

/// A raw request under /api/v1; throws APIError on a non-2xx answer.
export async function request(method, path, { body, signal, query, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const url = '/api/v1' + path + queryString(query);
  const response = await fetch(url, {
    method, headers, signal, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response;
}

export function queryString(query) {
  if (!query) return '';
  const parts = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    for (const item of Array.isArray(value) ? value : [value]) parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(item)}`);
  }
  return parts.length ? '?' + parts.join('&') : '';
}

export async function get(path, query) {
  const response = await request('GET', path, { query });
  return response.json();
}

export async function post(path, body, query) {
  const response = await request('POST', path, { body, query });
  return response.status === 204 ? null : response.json();
}

export async function put(path, body) {
  return (await request('PUT', path, { body })).json();
}

/// NDJSON lines as objects (events, an alert's context).
export async function lines(path, query) {
  const response = await request('GET', path, { query, accept: 'application/x-ndjson' });
  const text = await response.text();
  return { items: parseLines(text), next: response.headers.get('Sluice-Next-Cursor') };
}

export function parseLines(text) {
  return text.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line));
}

/// Follows an NDJSON stream, calling `onOpen` once the server answered and `onItem` per object,
/// until `signal` aborts.
export async function stream(path, query, signal, onItem, onOpen) {
  const response = await request('GET', path, { query, signal, accept: 'application/x-ndjson' });
  if (onOpen) onOpen();
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) onItem(JSON.parse(line));
    }
  }
}
