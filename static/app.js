// statusd's pages: the index's filter box, and on /codes/{code} the curl examples rewritten
// to this server's own origin with a copy button each. Served from /static/ because the
// Content-Security-Policy allows no inline script.
'use strict';

(function () {
  // --- The index: narrow the list as the user types -------------------------------------

  // "42" matches codes containing 42; a Latin word matches the start of a word in the
  // reason, titles or meanings ("rate" finds "rate limited", not "separate"); Chinese
  // matches anywhere ("限流"). Several words must all match.
  function matcher(query) {
    var tokens = query.toLowerCase().split(/\s+/).filter(Boolean);
    var tests = tokens.map(function (token) {
      if (/^[0-9.]+$/.test(token)) {
        return function (row) { return row.dataset.key.indexOf(token) !== -1; };
      }
      if (/^[\x00-\x7f]+$/.test(token)) {
        var escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        var word = new RegExp('(^|[^a-z0-9])' + escaped);
        return function (row) { return word.test(row.dataset.words); };
      }
      return function (row) { return row.dataset.words.indexOf(token) !== -1; };
    });
    return function (row) {
      return tests.every(function (test) { return test(row); });
    };
  }

  function setUpFilter(input) {
    var form = input.form;
    var rows = Array.prototype.slice.call(document.querySelectorAll('tr.code-row'));
    var groups = Array.prototype.slice.call(document.querySelectorAll('section.class-group'));
    var count = document.getElementById('filter-count');
    var empty = document.getElementById('filter-empty');

    function apply() {
      var matches = matcher(input.value);
      var shown = 0;
      rows.forEach(function (row) {
        var visible = matches(row);
        row.hidden = !visible;
        if (visible) shown++;
      });
      groups.forEach(function (group) {
        group.hidden = !group.querySelector('tr.code-row:not([hidden])');
      });
      count.textContent = input.value.trim() ? shown + ' / ' + rows.length : String(rows.length);
      empty.hidden = shown !== 0;
      // The address keeps the filter, so a filtered list can be shared or reloaded.
      var url = new URL(window.location.href);
      if (input.value.trim()) url.searchParams.set('q', input.value);
      else url.searchParams.delete('q');
      window.history.replaceState(null, '', url);
    }

    form.hidden = false;
    form.addEventListener('submit', function (event) { event.preventDefault(); });
    input.addEventListener('input', apply);
    var initial = new URLSearchParams(window.location.search).get('q');
    if (initial) {
      input.value = initial;
      apply();
    }
  }

  // --- /codes/{code}: commands for this server, ready to copy ----------------------------

  var PLACEHOLDER_ORIGIN = 'http://localhost:8080';

  function copyText(text, button) {
    function done(label) {
      var before = button.textContent;
      button.textContent = label;
      window.setTimeout(function () { button.textContent = before; }, 1200);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { done('✓'); },
        function () { done('✗'); });
      return;
    }
    // Plain http on a LAN address is not a secure context: select the text for Ctrl+C.
    var range = document.createRange();
    range.selectNodeContents(button.closest('figure').querySelector('code'));
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    done('Ctrl+C');
  }

  function setUpCommands(commands) {
    commands.forEach(function (code) {
      code.textContent = code.textContent.split(PLACEHOLDER_ORIGIN).join(window.location.origin);
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'copy';
      button.textContent = '复制 · Copy';
      button.addEventListener('click', function () { copyText(code.textContent, button); });
      var caption = code.closest('figure').querySelector('figcaption');
      caption.insertBefore(button, caption.firstChild);
    });
  }

  function start() {
    var input = document.getElementById('filter');
    if (input) setUpFilter(input);
    var commands = Array.prototype.slice.call(document.querySelectorAll('code.cmd'));
    if (commands.length) setUpCommands(commands);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
