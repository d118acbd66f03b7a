// The organiser's console: a campaign's counts follow the booth live. The page works without
// this script; it only re-reads the counts when the tablet's event stream says something changed.
(function () {
  'use strict';
  var counts = document.getElementById('counts');
  if (!counts || !window.EventSource) { return; }
  var timer = null;
  function refresh() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(counts.getAttribute('data-src'), { credentials: 'same-origin' }).then(function (r) {
        if (r.ok) {
          return r.text().then(function (html) {
            var box = document.createElement('div');
            box.innerHTML = html;
            var fresh = box.querySelector('#counts');
            if (fresh) { counts.replaceWith(fresh); counts = fresh; counts.setAttribute('data-live', 'on'); }
          });
        }
      }, function () {});
    }, 250);
  }
  var first = true;
  var es = new EventSource(counts.getAttribute('data-events'));
  es.addEventListener('hello', function () {
    // A reconnect may have missed changes; the first hello comes with a fresh page.
    if (!first) { refresh(); }
    first = false;
    counts.setAttribute('data-live', 'on');
  });
  ['claim', 'reset'].forEach(function (name) { es.addEventListener(name, refresh); });
}());
