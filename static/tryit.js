// The try-it panel of /codes/{code}: sends the request with fetch() and shows the status, every
// header the script may read and the body. What a script may read is what CORS allows:
// statusd names its headers in Access-Control-Expose-Headers, so Retry-After, Location,
// WWW-Authenticate ... are readable here and from a page on any other origin.
'use strict';

(function () {
  var BODY_SHOWN = 4096; // characters; a test page has no business scrolling megabytes

  function element(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text; // never innerHTML: the body is data
    return node;
  }

  function headersTable(headers) {
    var table = element('table', 'tryit-headers');
    var body = element('tbody');
    headers.forEach(function (value, name) {
      var row = element('tr');
      var th = element('th', '', name);
      th.scope = 'row';
      row.appendChild(th);
      var cell = element('td');
      cell.appendChild(element('code', '', value));
      row.appendChild(cell);
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function showResponse(result, response, text) {
    result.textContent = '';
    if (response.type === 'opaqueredirect') {
      result.appendChild(element('p', 'tryit-status', 'opaqueredirect (status ' + response.status + ')'));
      result.appendChild(element('p', 'note',
        '重定向对脚本不透明：状态码和 Location 都被隐藏。勾选“跟随重定向”看最终的响应，或用 curl -i。 · ' +
        'The redirect is opaque to scripts: its status and Location are hidden. Tick ' +
        '"follow redirects" to see where it ends, or use curl -i.'));
      return;
    }
    var status = element('p', 'tryit-status', 'HTTP ' + response.status + ' ' + response.statusText);
    result.appendChild(status);
    if (response.redirected) {
      result.appendChild(element('p', 'more', '↪ ' + response.url));
    }
    result.appendChild(headersTable(response.headers));
    if (text) {
      var shown = text.length > BODY_SHOWN ? text.slice(0, BODY_SHOWN) + '\n…' : text;
      result.appendChild(element('pre', 'tryit-body', shown));
    }
  }

  function showFailure(result, error) {
    result.textContent = '';
    result.appendChild(element('p', 'tryit-status failed', 'fetch() failed: ' + error.message));
    result.appendChild(element('p', 'note',
      '浏览器拒绝了这个响应（例如 Chromium 不接受非代理服务器发来的 407），脚本得不到任何细节。 · ' +
      'The browser refused the response (Chromium, for one, rejects a 407 from a server that is ' +
      'not its proxy); a script gets no detail.'));
  }

  function send(form, result) {
    var method = form.elements.method.value;
    var url = form.elements.url.value.trim() || '/';
    var options = {
      method: method,
      headers: { Accept: form.elements.accept.value },
      redirect: form.elements.follow.checked ? 'follow' : 'manual',
      // Credentials would let a 401 open the browser's password dialog over the page.
      credentials: 'omit',
      cache: 'no-store'
    };
    if (method === 'POST' || method === 'PUT') {
      options.body = 'sent=by+the+try-it+panel';
      options.headers['Content-Type'] = 'application/x-www-form-urlencoded';
    }
    result.textContent = '…';
    fetch(url, options)
      .then(function (response) {
        if (response.type === 'opaqueredirect' || method === 'HEAD') {
          return showResponse(result, response, '');
        }
        return response.text().then(function (text) { showResponse(result, response, text); });
      })
      .catch(function (error) { showFailure(result, error); });
  }

  function start() {
    var panel = document.getElementById('tryit');
    if (!panel || !window.fetch) return;
    var form = panel.querySelector('form');
    var result = panel.querySelector('.tryit-result');
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      send(form, result);
    });
    panel.hidden = false;
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
