// codeyard's own script: times in the viewer's time zone, the live log
// (follow the end, reload the page when the build ends), line links and
// the project form's "Add a variable".
// The pages work without it.
(function () {
  'use strict';
  var fmt = new Intl.DateTimeFormat(undefined, {
    year: 'numeric', month: 'short', day: 'numeric',
    hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short'
  });
  function localTimes(root) {
    root.querySelectorAll('time[datetime]:not([data-local])').forEach(function (t) {
      var d = new Date(t.getAttribute('datetime'));
      if (isNaN(d)) return;
      t.title = t.textContent;
      t.textContent = fmt.format(d);
      t.setAttribute('data-local', '');
    });
  }
  function highlight() {
    document.querySelectorAll('.log .l.hl').forEach(function (e) { e.classList.remove('hl'); });
    var m = /^#L(\d+)$/.exec(location.hash);
    if (!m) return;
    var line = document.getElementById('L' + m[1]);
    if (line) line.classList.add('hl');
  }
  // The project form's "Add a variable": a copy of the last (empty) row
  // of environment variables, numbered after it.
  function varRows() {
    var add = document.getElementById('add-var');
    var rows = document.getElementById('vars');
    if (!add || !rows || !rows.lastElementChild) return;
    add.hidden = false;
    add.addEventListener('click', function () {
      var n = rows.children.length;
      var row = rows.lastElementChild.cloneNode(true);
      row.querySelectorAll('.err').forEach(function (e) { e.remove(); });
      row.querySelectorAll('[name]').forEach(function (el) {
        el.id = el.name + '-' + n;
        el.removeAttribute('aria-invalid');
        el.removeAttribute('aria-describedby');
        el.setAttribute('aria-label', el.getAttribute('aria-label').replace(/\d+$/, String(n + 1)));
        if (el.tagName === 'SELECT') el.selectedIndex = 0; else el.value = '';
      });
      rows.append(row);
      row.querySelector('input').focus();
    });
  }
  document.addEventListener('DOMContentLoaded', function () {
    localTimes(document);
    highlight();
    varRows();
    new MutationObserver(function (ms) {
      ms.forEach(function (m) { m.addedNodes.forEach(function (n) { if (n.querySelectorAll) localTimes(n); }); });
    }).observe(document.body, { childList: true, subtree: true });
    var log = document.getElementById('log');
    var src = log && log.getAttribute('data-events');
    if (!src) return;
    // Follow the end of the log while the reader is at the end.
    var follow = true;
    window.addEventListener('scroll', function () {
      follow = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    }, { passive: true });
    // The live log: server-sent events (the browser resumes a dropped
    // stream from the last line's id). Each message is server-rendered
    // HTML (html/template): the new lines, the phase list, the status.
    var es = new EventSource(src);
    function html(data) {
      var t = document.createElement('template');
      t.innerHTML = data;
      return t.content;
    }
    es.onmessage = function (e) {
      log.append(html(e.data));
      if (follow && !location.hash) window.scrollTo(0, document.body.scrollHeight);
    };
    es.addEventListener('phases', function (e) {
      var old = document.getElementById('phases');
      var next = html(e.data).getElementById('phases');
      if (old && next) old.replaceWith(next);
    });
    es.addEventListener('status', function (e) {
      var st = document.getElementById('status');
      if (!st) return;
      var parts = e.data.split(' ');
      st.className = 'badge ' + parts[0];
      st.textContent = parts[1] || '';
    });
    es.addEventListener('done', function () {
      es.close();
      var live = document.getElementById('live');
      if (live) live.textContent = 'The build has ended; reloading…';
      setTimeout(function () { location.reload(); }, 300);
    });
  });
  window.addEventListener('hashchange', highlight);
})();
