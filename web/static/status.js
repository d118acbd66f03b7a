// Claim status: follows the claim over Server-Sent Events. EventSource reconnects by itself after
// a network drop; a phone waking from sleep may find the stream closed, so we reopen it then. The
// server sends the current status on every connect, which is the catch-up. While the stream is
// down the page says so in words (not only the dot's colour): what it shows may be behind.
(function () {
  'use strict';
  var root = document.getElementById('status');
  var dot = document.getElementById('live');
  if (!root || !window.EventSource) { return; }
  var es = null;
  var retry = 1000;
  function connect() {
    if (es) { es.close(); }
    es = new EventSource(root.getAttribute('data-events'));
    es.addEventListener('status', function (e) {
      retry = 1000;
      var s = JSON.parse(e.data).status;
      if (root.getAttribute('data-status') !== s) {
        root.setAttribute('data-status', s);
        if (navigator.vibrate && s === 'verified') { navigator.vibrate(200); }
      }
      dot.hidden = false;
      dot.classList.remove('off');
      dot.textContent = dot.getAttribute('data-live');
    });
    es.onerror = function () {
      dot.classList.add('off');
      dot.textContent = dot.getAttribute('data-lost');
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. the server answered an error): try again, more slowly.
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      }
    };
  }
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && (!es || es.readyState === EventSource.CLOSED)) { connect(); }
  });
  window.addEventListener('online', function () {
    if (!es || es.readyState !== EventSource.OPEN) { connect(); }
  });
  connect();
})();
