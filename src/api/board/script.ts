/**
 * The board's script, served as /board/board.js: plain browser JavaScript, no build step. It
 * reads the token from `#token=…` (or this tab's session storage) and sends it as a bearer header;
 * the board follows the sprint's event stream through `fetch`, which can, where EventSource cannot.
 */
export const BOARD_JS = String.raw`'use strict';
(function () {
  var TOKEN_KEY = 'sprintwave.token';
  var RECONNECT_MS = 1000;
  var main = document.getElementById('main');
  var connection = document.getElementById('connection');

  /** The token: from #token=… (then taken out of the address bar), else this tab's storage. */
  function readToken() {
    var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (match) {
      var token = decodeURIComponent(match[1]);
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      else sessionStorage.removeItem(TOKEN_KEY);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }
  var token = readToken();

  function authHeaders(extra) {
    var headers = Object.assign({ accept: 'application/json' }, extra || {});
    if (token) headers.authorization = 'Bearer ' + token;
    return headers;
  }

  function h(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) return;
      if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function append(node, child) {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  function show(content) {
    main.replaceChildren();
    append(main, content);
  }
  function setConnection(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }
  async function getJson(url) {
    var response = await fetch(url, { headers: authHeaders(), cache: 'no-store' });
    if (!response.ok) throw new HttpError(response.status, await errorText(response));
    return response.json();
  }
  async function errorText(response) {
    try {
      var body = await response.json();
      return body.error || response.statusText;
    } catch (_) {
      return response.statusText;
    }
  }

  function tokenForm(message) {
    var input = h('input', {
      type: 'password', name: 'token', autocomplete: 'current-password',
      placeholder: 'SPRINTWAVE_API_TOKEN', 'aria-label': 'API token',
    });
    var form = h('form', { class: 'token', id: 'token-form' }, input,
      h('button', { type: 'submit', text: 'Open' }));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      location.reload();
    });
    setConnection('idle', '');
    show(h('section', { class: 'panel', id: 'auth' },
      h('h1', { text: 'A token is needed' }),
      h('p', { class: 'muted', text: message }),
      form));
  }
  function failure(error) {
    if (error instanceof HttpError && error.status === 401) {
      tokenForm(token
        ? 'The API refused this token. Enter the API token (SPRINTWAVE_API_TOKEN):'
        : 'This API needs its token (SPRINTWAVE_API_TOKEN). Open the page with #token=… or enter it:');
      return true;
    }
    return false;
  }

  function duration(ms) {
    var s = Math.max(0, Math.round(ms / 1000));
    var d = Math.floor(s / 86400), hr = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
    s = s % 60;
    if (d) return d + 'd ' + hr + 'h';
    if (hr) return hr + 'h ' + m + 'm';
    if (m) return m + 'm ' + s + 's';
    return s + 's';
  }
  function clock(ms) {
    return new Date(ms).toLocaleString(undefined, {
      month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit',
    });
  }
  function statusBadge(status) {
    return h('span', { class: 'status', 'data-status': status, text: status.replace('_', ' ') });
  }
  function progressBar(percent, label) {
    var value = Math.max(0, Math.min(100, Math.round(percent)));
    return h('div', {
      class: 'progress', role: 'progressbar', 'aria-label': label,
      'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': value,
    }, h('span', { 'data-width': value }));
  }
  /** Widths are set through the CSSOM: the policy allows no inline style attributes. */
  function applyWidths(root) {
    root.querySelectorAll('[data-width]').forEach(function (bar) {
      bar.style.width = bar.getAttribute('data-width') + '%';
    });
  }
  function link(href, text) {
    return h('a', { href: href, rel: 'noopener noreferrer', text: text });
  }
  function boardHref(id) {
    return '/sprints/' + encodeURIComponent(id) + '/board';
  }

  // ---- GET /: the sprints --------------------------------------------------------------------

  async function sprintsPage() {
    try {
      var body = await getJson('/sprints');
      var rows = body.sprints.map(function (sprint) {
        return h('tr', { 'data-sprint': sprint.id },
          h('td', {}, link(boardHref(sprint.id), sprint.id)),
          h('td', {}, statusBadge(sprint.status)),
          h('td', { class: 'muted', text: sprint.startedAt ? clock(Date.parse(sprint.startedAt)) : '' }));
      });
      show([
        h('h1', { text: 'Sprints' }),
        rows.length
          ? h('div', { class: 'table-wrap' }, h('table', { id: 'sprints' },
              h('thead', {}, h('tr', {}, h('th', { text: 'sprint' }), h('th', { text: 'status' }),
                h('th', { text: 'started' }))),
              h('tbody', {}, rows)))
          : h('p', { class: 'muted', id: 'sprints', text: 'No sprints on this task queue yet.' }),
      ]);
    } catch (error) {
      if (!failure(error)) show(h('p', { class: 'error', text: 'Cannot list the sprints: ' + error.message }));
    }
  }

  // ---- GET /sprints/:id/board: one sprint, live ----------------------------------------------

  var current = null;

  function render(status) {
    current = status;
    document.title = (status.title || status.id) + ' · sprintwave';
    var content = [header(status), predicted(status), lanes(status), deferred(status), integration(status)];
    show(content);
    applyWidths(main);
  }

  function projection(status, now) {
    var started = Date.parse(status.startedAt);
    var end = status.finishedAt ? Date.parse(status.finishedAt) : now;
    var percent = status.overall.percent;
    var facts = { elapsed: end - started };
    if (status.status === 'running' && percent > 0 && percent < 100) {
      facts.finish = started + ((now - started) * 100) / percent;
    }
    var deadline = status.deadlineAt || status.deadline;
    if (deadline && !isNaN(Date.parse(deadline))) facts.deadline = Date.parse(deadline);
    return facts;
  }

  function header(status) {
    var o = status.overall;
    var facts = projection(status, Date.now());
    var finishLate = facts.finish && facts.deadline && facts.finish > facts.deadline;
    var links = status.links || {};
    return h('section', { class: 'sprint-header', id: 'sprint-header', 'data-status': status.status },
      h('div', { class: 'title-row' },
        h('h1', { text: status.title || status.id }), statusBadge(status.status)),
      status.title ? h('div', { class: 'muted' }, h('code', { text: status.id })) : null,
      h('p', { class: 'muted', id: 'headline', text: status.headline }),
      progressBar(o.percent, 'sprint progress'),
      h('ul', { class: 'facts' },
        h('li', {}, h('strong', { id: 'overall-percent', text: Math.round(o.percent) + '%' }), ' done'),
        h('li', {}, h('strong', { text: o.completed + '/' + o.packages }), ' packages'),
        o.inProgress ? h('li', {}, h('strong', { text: String(o.inProgress) }), ' running') : null,
        o.failed ? h('li', {}, h('strong', { text: String(o.failed) }), ' failed') : null,
        o.filesTotal ? h('li', {}, h('strong', { text: o.filesCompleted + '/' + o.filesTotal }), ' steps') : null,
        h('li', {}, status.finishedAt ? 'took ' : 'elapsed ',
          h('strong', { id: 'elapsed', text: duration(facts.elapsed) })),
        facts.finish ? h('li', { class: finishLate ? 'late' : '' }, 'projected finish ',
          h('strong', { id: 'projected', text: clock(facts.finish) })) : null,
        facts.deadline ? h('li', { class: finishLate ? 'late' : '' }, 'deadline ',
          h('strong', { id: 'deadline', text: clock(facts.deadline) })) : null,
        h('li', {}, status.strategy + ', concurrency ' + status.concurrency + ', scope ' + status.scope),
        links.webUi ? h('li', {}, link(links.webUi, 'Temporal Web UI')) : null,
        status.delivery && status.delivery.pullRequest && status.delivery.pullRequest.url
          ? h('li', {}, link(status.delivery.pullRequest.url, 'pull request')) : null),
      status.reasons.length
        ? h('ul', { class: 'reasons' }, status.reasons.map(function (r) { return h('li', { text: r }); }))
        : null);
  }

  function lanes(status) {
    var byWave = new Map();
    status.packages.filter(function (wp) { return wp.status !== 'deferred'; }).forEach(function (wp) {
      if (!byWave.has(wp.wave)) byWave.set(wp.wave, []);
      byWave.get(wp.wave).push(wp);
    });
    var name = status.strategy === 'eager' ? 'Depth ' : 'Wave ';
    var waves = Array.from(byWave.keys()).sort(function (a, b) { return a - b; });
    return h('section', { class: 'lanes', id: 'lanes' }, waves.map(function (wave) {
      return h('section', { class: 'lane', 'data-wave': wave },
        h('h3', { text: status.strategy === 'eager' ? name + (wave - 1) : name + wave }),
        h('div', { class: 'cards' }, byWave.get(wave).map(function (wp) { return card(wp, status); })));
    }));
  }

  function card(wp, status) {
    var web = status.links && status.links.packages && status.links.packages[wp.id];
    var who = wp.agent && wp.executor && wp.agent !== wp.executor
      ? wp.agent + ' (' + wp.executor + ')' : wp.agent || wp.executor;
    return h('article', { class: 'card', 'data-wp': wp.id, 'data-status': wp.status },
      h('div', { class: 'card-head' }, h('code', { text: wp.id }), statusBadge(wp.status)),
      h('div', { class: 'card-title', text: wp.title }),
      progressBar(wp.percent, wp.id + ' progress'),
      h('div', { class: 'meta' },
        h('span', { class: 'percent', text: Math.round(wp.percent) + '%' }),
        who ? h('span', { class: 'agent', text: who }) : null,
        wp.filesChanged !== undefined ? h('span', { class: 'files', text: wp.filesChanged + (wp.filesChanged === 1 ? ' file' : ' files') + ' changed' }) : null,
        wp.attempt > 1 ? h('span', { text: 'attempt ' + wp.attempt }) : null,
        wp.commit ? h('code', { text: wp.commit.slice(0, 8) }) : null,
        web ? link(web, 'Web UI') : null),
      wp.tasks && wp.tasks.length
        ? h('ul', { class: 'tasks' }, wp.tasks.map(function (task) {
            return h('li', { 'data-done': task.done, text: (task.done ? '☑ ' : '☐ ') + task.id });
          }))
        : null,
      wp.note && wp.note !== wp.error ? h('p', { class: 'note muted', text: wp.note }) : null,
      wp.blockedBy && wp.blockedBy.length
        ? h('p', { class: 'note', text: 'blocked by ' + wp.blockedBy.join(', ') }) : null,
      wp.error ? h('p', { class: 'error', text: wp.error }) : null,
      wp.outputTail && wp.outputTail.length
        ? h('pre', { class: 'output', 'aria-label': wp.id + ' output', text: wp.outputTail.join('\n') })
        : null,
      h('div', { class: 'branch muted' }, h('code', { text: wp.branch })));
  }

  function deferred(status) {
    var list = status.packages.filter(function (wp) { return wp.status === 'deferred'; });
    if (!list.length) return null;
    return h('section', { id: 'deferred' },
      h('h2', { text: 'Deferred' }),
      h('div', { class: 'panel' }, h('ul', {}, list.map(function (wp) {
        var why = (wp.note || '').replace(/^deferred: /, '');
        return h('li', { 'data-wp': wp.id }, h('code', { text: wp.id }), ' ' + wp.title + (why ? ' — ' + why : ''));
      }))));
  }

  /** The merge rehearsal's warnings, until the final merge decides: both packages and the files. */
  function predicted(status) {
    var list = status.predictedConflicts || [];
    if (!list.length || status.integration.status !== 'pending') return null;
    return h('section', { id: 'predicted-conflicts' },
      h('h2', { text: 'Predicted merge conflicts' }),
      h('div', { class: 'panel warning' }, h('ul', {}, list.map(function (c) {
        return h('li', { 'data-wp': c.wpId },
          h('code', { text: c.wpId }), ' would conflict with ',
          h('span', { class: 'with', text: c.with.length ? c.with.join(', ') : 'the packages before it' }),
          ' in ', h('span', { class: 'files', text: c.files.join(', ') }));
      })),
      h('p', { class: 'muted', text: 'Rebase one of them, or add a dependency and retry; the final merge decides.' })));
  }

  function integration(status) {
    var i = status.integration;
    if (i.status === 'pending' && !i.conflicts.length && !i.checks.length && !i.error) return null;
    return h('section', { id: 'integration' },
      h('h2', {}, 'Integration ', statusBadge(i.status)),
      h('div', { class: 'panel' },
        h('div', {}, h('code', { text: i.branch }), i.commit ? ' at ' : '', i.commit ? h('code', { text: i.commit.slice(0, 8) }) : null),
        i.merged.length ? h('p', { text: 'merged: ' + i.merged.join(', ') }) : null,
        i.conflicts.length
          ? h('div', { id: 'conflicts' }, h('strong', { text: 'conflicts' }), h('ul', {}, i.conflicts.map(function (c) {
              return h('li', { 'data-wp': c.wpId }, h('code', { text: c.wpId }), ' (' + c.branch + '): ' + c.files.join(', '));
            })))
          : null,
        i.checks.length
          ? h('div', { id: 'checks' }, h('strong', { text: 'checks' }), h('ul', {}, i.checks.map(function (c) {
              return h('li', { 'data-passed': c.passed },
                (c.passed ? '✔ ' : '✘ '), h('code', { text: c.command }),
                ' exit ' + (c.exitCode === null ? 'signal' : c.exitCode) + ', ' + duration(c.durationMs));
            })))
          : null,
        i.error ? h('p', { class: 'error', text: i.error }) : null));
  }

  /** Reads GET /sprints/:id/stream with fetch, so the token goes in a header; resumes with Last-Event-ID. */
  async function follow(id) {
    var lastEventId = null;
    for (;;) {
      var ended = false;
      try {
        var headers = authHeaders({ accept: 'text/event-stream' });
        if (lastEventId) headers['last-event-id'] = lastEventId;
        var response = await fetch('/sprints/' + encodeURIComponent(id) + '/stream', {
          headers: headers, cache: 'no-store',
        });
        if (!response.ok) throw new HttpError(response.status, await errorText(response));
        setConnection('live', 'live');
        ended = await readEvents(response.body, function (event) {
          if (event.id) lastEventId = event.id;
          if (event.event === 'status' || event.event === 'end') render(JSON.parse(event.data));
        });
      } catch (error) {
        if (failure(error)) return;
        if (error instanceof HttpError && error.status === 404) {
          setConnection('ended', '');
          show(h('p', { class: 'error', id: 'missing', text: error.message }));
          return;
        }
      }
      if (ended) {
        setConnection('ended', 'ended');
        return;
      }
      setConnection('reconnecting', 'reconnecting…');
      await new Promise(function (resolve) { setTimeout(resolve, RECONNECT_MS); });
    }
  }

  /** Server-Sent Events from a byte stream; true once an end event came. */
  async function readEvents(body, onEvent) {
    var reader = body.getReader();
    var decoder = new TextDecoder();
    var buffer = '';
    var sawEnd = false;
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) return sawEnd;
      buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
      var end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        var event = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (!event.event) continue;
        onEvent(event);
        if (event.event === 'end') sawEnd = true;
      }
    }
  }
  function parseEvent(text) {
    var event = { data: '' };
    var data = [];
    text.split('\n').forEach(function (line) {
      if (!line || line[0] === ':') return;
      var colon = line.indexOf(':');
      var field = colon < 0 ? line : line.slice(0, colon);
      var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event' || field === 'id') event[field] = value;
    });
    event.data = data.join('\n');
    return event;
  }

  /** The elapsed time moves between events. */
  function tick() {
    if (!current) return;
    var facts = projection(current, Date.now());
    var elapsed = document.getElementById('elapsed');
    if (elapsed) elapsed.textContent = duration(facts.elapsed);
  }

  var page = document.body.dataset.page;
  if (page === 'sprints') {
    void sprintsPage();
  } else {
    var match = /^\/sprints\/([^/]+)\/board\/?$/.exec(location.pathname);
    var id = match ? decodeURIComponent(match[1]) : '';
    setInterval(tick, 1000);
    void follow(id);
  }
})();
`;
