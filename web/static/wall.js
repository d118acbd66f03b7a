// Live wall: posts arrive over Server-Sent Events; moderation removes them in place; when the
// stream cannot say what was missed ("reset") the wall fetches its whole state again. Post text is
// only ever set with textContent, so a post can never become markup.
(function () {
  'use strict';
  var wall = document.getElementById('wall');
  if (!wall || !window.EventSource) { return; }
  var list = document.getElementById('posts');
  var tags = document.getElementById('tags');
  var counts = { posts: document.getElementById('count-posts'), given: document.getElementById('count-given') };
  var MAX = 20;

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) { n.className = cls; }
    if (text !== undefined) { n.textContent = text; }
    return n;
  }
  function postNode(p) {
    var li = el('li', 'post');
    li.setAttribute('data-key', p.key);
    li.setAttribute('data-handle', p.handle.toLowerCase());
    li.setAttribute('data-network', p.network);
    // <bdi> isolates the author's text: a right-to-left override cannot turn the page around.
    li.appendChild(el('p', 'post-handle')).appendChild(el('bdi', '', '@' + p.handle));
    li.appendChild(el('p', 'post-text')).appendChild(el('bdi', '', p.text));
    return li;
  }
  function addPost(p, animate) {
    if (list.querySelector('[data-key="' + CSS.escape(p.key) + '"]')) { return; }
    var li = postNode(p);
    if (animate) { li.classList.add('new'); }
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX) { list.removeChild(list.lastChild); }
  }
  function bump(which, delta) {
    counts[which].textContent = String(Math.max(0, (parseInt(counts[which].textContent, 10) || 0) + delta));
  }
  // Top hashtags as the server last counted them, bumped by each post that arrives since.
  var tagCounts = [].map.call(tags.querySelectorAll('li'), function (li) {
    return { tag: li.querySelector('span').textContent.replace(/^#/, ''), count: parseInt(li.querySelector('b').textContent, 10) || 0 };
  });
  function countTags(p) {
    (p.hashtags || []).forEach(function (h) {
      var key = h.normalize('NFKC').toLowerCase();
      var t = tagCounts.filter(function (x) { return x.tag === key; })[0];
      if (t) { t.count++; } else { tagCounts.push({ tag: key, count: 1 }); }
    });
    tagCounts.sort(function (a, b) { return b.count - a.count || (a.tag < b.tag ? -1 : 1); });
    tagCounts = tagCounts.slice(0, 30);
    renderTags(tagCounts);
  }
  function renderTags(ts) {
    tagCounts = ts.slice();
    tags.textContent = '';
    ts.slice(0, 8).forEach(function (t) {
      var li = el('li');
      li.appendChild(el('span', '', '#' + t.tag));
      li.appendChild(el('b', '', String(t.count)));
      tags.appendChild(li);
    });
  }
  function load(onlyTotals) {
    return fetch(wall.getAttribute('data-state'), { credentials: 'same-origin' })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        counts.posts.textContent = String(s.counts.posts);
        counts.given.textContent = String(s.counts.given);
        renderTags(s.tags);
        if (onlyTotals) { return; }
        wall.classList.toggle('killed', s.killed);
        list.textContent = '';
        s.posts.slice().reverse().forEach(function (p) { addPost(p, false); });
      })
      .catch(function () {});
  }
  function data(e) { return JSON.parse(e.data || '{}'); }
  // The draw panel is HTML the server renders (escaped there); a moved draw replaces it whole,
  // and its winners' entrance animation plays as it arrives.
  function loadDraw() {
    return fetch(wall.getAttribute('data-draw'), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('draw');
        var cur = document.getElementById('draw');
        if (next && cur) { cur.replaceWith(document.importNode(next, true)); }
      })
      .catch(function () {});
  }

  var es = new EventSource(wall.getAttribute('data-events'));
  // data-live says whether the stream is open (for whoever watches the wall, and its tests).
  es.addEventListener('open', function () { wall.setAttribute('data-live', 'open'); });
  es.addEventListener('error', function () { wall.setAttribute('data-live', 'lost'); });
  es.addEventListener('post', function (e) {
    if (!wall.classList.contains('killed')) {
      var p = data(e);
      addPost(p, true);
      countTags(p);
    }
  });
  es.addEventListener('hide', function (e) {
    var d = data(e);
    var n = list.querySelector('[data-key="' + CSS.escape(d.network + ':' + d.id) + '"]');
    if (n) { n.remove(); }
  });
  es.addEventListener('block', function (e) {
    var d = data(e);
    list.querySelectorAll('[data-network="' + CSS.escape(d.network) + '"][data-handle="' + CSS.escape(d.handle) + '"]')
      .forEach(function (n) { n.remove(); });
  });
  es.addEventListener('settings', function (e) {
    if (data(e).killed) {
      // The kill switch acts at once, before any fetch.
      wall.classList.add('killed');
      list.textContent = '';
    } else {
      load(false);
    }
  });
  es.addEventListener('unblock', function () { load(false); });
  es.addEventListener('reset', function () { load(false); loadDraw(); });
  es.addEventListener('draw', loadDraw);
  es.addEventListener('posts', function (e) { bump('posts', data(e).delta); });
  es.addEventListener('given', function (e) { bump('given', data(e).delta); });
  // Top hashtags drift slowly; a minute is fresh enough for a screen.
  setInterval(function () { load(true); }, 60000);
})();
