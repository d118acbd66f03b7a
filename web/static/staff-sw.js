// The staff tablet's service worker, served as /staff/sw.js (scope /staff) after a line that sets
// self.SHELL: the cache version, the hashed URLs of the tablet's CSS and script, and the name of
// the header that marks a page it may keep (internal/pages/pwa.go).
//
// What it keeps: the tablet page (/staff) and its live part (/staff/live) as last answered to
// the staff member logged in, and the shell's files. Pages go to the network first and come
// from the cache only when the network fails, marked X-Served-From-Cache, so the script can say
// how old the list is. It never touches anything else: every POST (gives, undos, logins), the
// JSON API and the event stream go to the network as they are, and are never kept. The offline
// queue of gives is not here but in the page's localStorage (staff.js).
//
// Whose page it is: a kept page names its staff member; a page of anyone else empties the cache
// first, and a logout, an answer to /staff without the mark (the login form: the session ended)
// or a 401 from /staff/live empties it altogether.
'use strict';
var SHELL = self.SHELL;
var CACHE = 'giveaway-staff-' + SHELL.version;
var OWNER = '/staff/__owner';

self.addEventListener('install', function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL.assets); }).then(function () {
    return self.skipWaiting();
  }));
});

// A new version drops the old caches (their files are gone from the server) and keeps the open
// tablets' pages again, so a deploy does not leave a tablet without its offline copy.
self.addEventListener('activate', function (e) {
  e.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('giveaway-staff-') === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }).then(function () {
    return self.clients.matchAll({ type: 'window' });
  }).then(function (list) {
    return Promise.all(list.map(function (w) { return refetch(w.url); }));
  }));
});

// The page that registered the worker was not fetched through it: the page asks for it to be kept.
self.addEventListener('message', function (e) {
  if (e.data && e.data.keep) { e.waitUntil(refetch(e.data.keep)); }
});

self.addEventListener('fetch', function (e) {
  var req = e.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) { return; }
  if (req.method !== 'GET') {
    if (url.pathname === '/staff/logout') { e.waitUntil(forget()); }
    return;
  }
  if ((url.pathname === '/staff' && req.mode === 'navigate') || url.pathname === '/staff/live') {
    e.respondWith(networkFirst(e, req));
  } else if (SHELL.assets.indexOf(url.pathname + url.search) >= 0) {
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        // After a logout emptied the cache, the files come back with the next login's page.
        if (res.ok) {
          var copy = res.clone();
          e.waitUntil(caches.open(CACHE).then(function (c) { return c.put(req, copy); }).catch(function () {}));
        }
        return res;
      });
    }));
  }
});

// networkFirst answers from the network when it can, keeping the answer on the side: a cache
// that fails (a logout emptying it at that moment) must never fail the page.
function networkFirst(e, req) {
  return fetch(req).then(function (res) {
    e.waitUntil(judge(req.url, res.clone()).catch(function () {}));
    return res;
  }, function (err) {
    return fromCache(req).then(function (res) { if (res) { return res; } throw err; });
  });
}

// judge keeps a page marked as the tablet's, and forgets everything on an answer that says the
// session is over.
function judge(url, res) {
  var owner = res.headers.get(SHELL.header);
  if (res.ok && owner) { return keep(url, res.clone(), owner); }
  if (res.status === 401 || (res.ok && new URL(url).pathname === '/staff')) { return forget(); }
  return Promise.resolve();
}

function keep(url, res, owner) {
  return caches.open(CACHE).then(function (c) {
    return c.match(OWNER).then(function (o) { return o ? o.text() : null; }).then(function (was) {
      if (was === null || was === owner) { return c; }
      return forget().then(function () { return caches.open(CACHE); });
    });
  }).then(function (c) {
    return Promise.all([c.put(OWNER, new Response(owner)), c.put(url, res)]);
  });
}

function refetch(url) {
  var path = new URL(url).pathname;
  if (path !== '/staff') { return Promise.resolve(); }
  return fetch(url, { credentials: 'same-origin' }).then(function (res) { return judge(url, res); }).catch(function () {});
}

// forget empties the cache, shell files included (they are fetched again on the next install).
function forget() {
  return caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf('giveaway-staff-') === 0; })
      .map(function (n) { return caches.delete(n); }));
  });
}

function fromCache(req) {
  return caches.open(CACHE).then(function (c) {
    // A tablet opened at another search of the page gets the page it last kept (the page
    // says which campaign it is); the live part only ever comes for its own campaign and search.
    return c.match(req, { ignoreVary: true }).then(function (hit) {
      return hit || (req.mode === 'navigate' ? c.match(req, { ignoreVary: true, ignoreSearch: true }) : null);
    });
  }).then(function (hit) {
    if (!hit) { return null; }
    var h = new Headers(hit.headers);
    h.set('X-Served-From-Cache', '1');
    return hit.blob().then(function (b) { return new Response(b, { status: hit.status, statusText: hit.statusText, headers: h }); });
  });
}
