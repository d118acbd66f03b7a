// Staff tablet. Every action (give, undo, approve, reject, manual claim) goes through the JSON
// API with an Idempotency-Key, and through an outbox in localStorage first: an action tapped while
// the venue Wi-Fi is down waits on the tablet (surviving a reload) and is sent when the network
// is back, with the key it got when it was tapped, so however often it is retried the server does
// it once and answers what it did. Without this script every button is a plain form and still works.
// A service worker (staff-sw.js) keeps the page and its last list, so a reload with the network
// down opens the tablet with its queue; the page then says since when it is offline, how old its
// list is and how much waits to sync.
(function () {
  'use strict';
  var OUTBOX = 'giveaway.outbox.v1';
  var OFFLINE = 'giveaway.offlineSince';
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.content : '';
  var sync = document.getElementById('sync');
  var live = document.getElementById('live');
  var toast = document.getElementById('toast');
  var busy = false;

  function load() {
    try { return JSON.parse(localStorage.getItem(OUTBOX)) || []; } catch (e) { return []; }
  }
  function store(q) {
    localStorage.setItem(OUTBOX, JSON.stringify(q));
    render();
  }
  function drop(key) { store(load().filter(function (i) { return i.key !== key; })); }
  function fmt(s, args) {
    return (s || '').replace(/\{(\w+)\}/g, function (m, k) { return k in args ? args[k] : m; });
  }
  function newKey() {
    // crypto.randomUUID needs https; getRandomValues works on a plain-http venue set-up too.
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
  }
  function clock(when) {
    var d = new Date(when);
    var opts = { hour: '2-digit', minute: '2-digit', hour12: false };
    // In the campaign's time zone, as the server writes times on the page.
    if (sync && sync.getAttribute('data-tz')) { opts.timeZone = sync.getAttribute('data-tz'); }
    try { return d.toLocaleTimeString([], opts); } catch (e) { delete opts.timeZone; return d.toLocaleTimeString([], opts); }
  }
  function say(msg, kind) {
    if (!toast) { return; }
    toast.textContent = msg;
    toast.className = 'toast ' + (kind || '');
    toast.hidden = false;
    clearTimeout(say.timer);
    say.timer = setTimeout(function () { toast.hidden = true; }, 6000);
  }
  function text(name) { return sync ? sync.getAttribute('data-' + name) : ''; }

  // Whoever stands at the booth must show the claim is theirs before its give buttons work: a
  // claim proven by its handle only could be anyone's claim to that handle (staff check the
  // account on the attendee's phone), and one proven by its code or a sign-in can still be found
  // by anyone who read the public post (staff check that the phone shows the claim's live page).
  // The form's data-check says what to check; the give then carries account_checked.
  // The tap is remembered per claim for this page, so a live refresh of the list keeps it.
  var checkedClaims = {};
  function needsCheck(f) { return f.hasAttribute('data-check'); }
  function confirmed(f) { return checkedClaims[f.getAttribute('data-claim')] === true; }
  function gate() {
    document.querySelectorAll('form.js-give').forEach(function (f) {
      if (!needsCheck(f) || f.querySelector('.check-account')) { return; }
      // The tap stands in for the no-JS form's checkbox (a required one would stop the submit).
      var box = f.querySelector('.account-check');
      if (box) { box.remove(); }
      var b = document.createElement('button');
      b.type = 'button';
      b.className = 'button check-account';
      b.setAttribute('aria-pressed', 'false');
      b.textContent = f.getAttribute('data-check') || text('check-account');
      var show = function () {
        var ok = confirmed(f);
        b.setAttribute('aria-pressed', String(ok));
        b.classList.toggle('done', ok);
        if (ok) { b.textContent = text('account-checked') || b.textContent; }
        f.querySelectorAll('button.prize').forEach(function (p) { p.classList.toggle('locked', !ok); });
      };
      b.addEventListener('click', function () {
        checkedClaims[f.getAttribute('data-claim')] = true;
        gate.all();
      });
      f.insertBefore(b, f.querySelector('button.prize'));
      f.gateShow = show;
      show();
    });
  }
  // gate.all shows the tap on every form of the page (a claim can be listed twice).
  gate.all = function () {
    document.querySelectorAll('form.js-give').forEach(function (f) { if (f.gateShow) { f.gateShow(); } });
  };

  // offline and online note when the tablet lost the server (kept across reloads, so the time
  // is when the Wi-Fi dropped, not when the page was last opened) and when it has it again.
  // A failed request is only a suspicion (a page being left cuts its own requests): the list is
  // asked for again a second later, and a second miss, or the worker answering from its cache,
  // says the tablet is offline.
  var misses = 0;
  function suspect() {
    misses++;
    if (misses >= 2) { offline(); } else { setTimeout(refresh, 1000); }
  }
  function offline() {
    if (!localStorage.getItem(OFFLINE)) { localStorage.setItem(OFFLINE, String(Date.now())); }
    stale();
  }
  function online() {
    misses = 0;
    localStorage.removeItem(OFFLINE);
    stale();
  }
  function listAt() {
    var at = live && live.querySelector('[data-list-at]');
    return at ? at.getAttribute('data-list-at') : '';
  }
  function stale() {
    var el = document.getElementById('stale');
    if (!el) { return; }
    var since = Number(localStorage.getItem(OFFLINE));
    el.hidden = !since;
    if (!since) { return; }
    var n = load().length;
    var list = listAt();
    el.textContent = fmt(el.getAttribute(n ? 'data-msg' : 'data-msg-empty'),
      { since: clock(since), list: list ? clock(list) : '?', n: n });
  }

  function render() {
    gate();
    stale();
    var q = load();
    var login = document.getElementById('unsynced-login');
    if (login) {
      login.hidden = q.length === 0;
      login.textContent = q.length + ' ⟳';
    }
    if (!sync) { return; }
    sync.hidden = q.length === 0;
    sync.classList.toggle('ok', q.length === 0);
    document.getElementById('sync-count').textContent = fmt(text('waiting'), { n: q.length });
    document.querySelectorAll('.prize.queued').forEach(function (b) { b.classList.remove('queued'); });
    q.forEach(function (i) {
      if ((i.kind || 'give') !== 'give') { return; }
      var sel = 'form.js-give[data-claim="' + CSS.escape(i.claim) + '"] button[value="' + CSS.escape(i.prize) + '"]';
      document.querySelectorAll(sel).forEach(function (b) { b.classList.add('queued'); });
    });
  }

  // request is the API call an outbox item stands for. Items queued before kinds existed are gives.
  function request(item) {
    var claim = '/api/v1/claims/' + encodeURIComponent(item.claim);
    switch (item.kind || 'give') {
      case 'give':
        var body = { prize: item.prize };
        if (item.checked) { body.account_checked = true; }
        return { path: claim + '/give', body: body };
      case 'manual':
        return { path: '/api/v1/campaigns/' + encodeURIComponent(item.campaign) + '/manual-claims', body: item.body };
      default: // undo, approve, reject
        return { path: claim + '/' + item.kind, body: null };
    }
  }

  // done tells staff what the server did with an item; a manual claim with a prize picked is
  // followed by its give, queued in its place with the key it was given when tapped.
  function done(item, res) {
    var err = (res.body && res.body.error) || {};
    var kind = item.kind || 'give';
    if (res.status >= 300) {
      drop(item.key);
      if (err.code === 'already_given' || err.code === 'limit_reached') {
        var d = err.details || {};
        say(fmt(text('already'), { at: clock(d.given_at), by: d.given_by }), 'err');
      } else {
        say(fmt(text('failed'), { msg: err.message || res.status }), 'err');
      }
      return;
    }
    var handle = (res.body && res.body.handle) || item.handle;
    if (kind === 'manual' && item.then) {
      store(load().map(function (i) {
        return i.key !== item.key ? i : { key: item.then.key, kind: 'give', claim: String(res.body.id),
          prize: item.then.prize, name: item.then.name, handle: handle, at: item.at };
      }));
    } else {
      drop(item.key);
    }
    var msgs = { give: 'given', undo: 'undone', approve: 'approved', reject: 'rejected', manual: 'manual' };
    say(fmt(text(msgs[kind]), { prize: item.name || item.prize, handle: handle }), 'ok');
  }

  // send answers 'done' (the server decided, whatever it said), or 'keep' to try again later
  // with the same key.
  function send(item) {
    var call = request(item);
    var headers = { 'X-CSRF-Token': csrf, 'Idempotency-Key': item.key };
    if (call.body) { headers['Content-Type'] = 'application/json'; }
    return fetch(call.path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: headers,
      body: call.body ? JSON.stringify(call.body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      var err = (res.body && res.body.error) || {};
      if (res.status === 401 || err.code === 'csrf_failed') {
        say(text('login'), 'err');
        return 'keep';
      }
      if (err.code === 'request_in_flight') {
        // The first try of this very tap is still running on the server: ask again shortly.
        setTimeout(flush, 2000);
        return 'keep';
      }
      if (res.status >= 500 || res.status === 429) { return 'keep'; }
      online();
      done(item, res);
      refresh();
      return 'done';
    }, function () {
      suspect();
      say(text('offline'), 'warn');
      return 'keep';
    });
  }

  // flush sends the outbox in order, stopping at the first item that has to wait.
  function flush() {
    if (busy) { return Promise.resolve(); }
    busy = true;
    var step = function () {
      var q = load();
      if (!q.length) { return Promise.resolve(); }
      return send(q[0]).then(function (r) { return r === 'done' ? step() : undefined; });
    };
    return step().then(function () { busy = false; render(); }, function () { busy = false; });
  }

  // queue writes an item down before it is sent: a reload or a dropped connection cannot lose it.
  function queue(item, button) {
    item.key = newKey();
    item.at = Date.now();
    var q = load();
    q.push(item);
    store(q);
    if (button) { button.disabled = true; }
    return flush().then(function () { if (button) { button.disabled = false; } });
  }

  // actionOf is the outbox item a tablet form stands for, or null for forms that are not actions.
  function actionOf(f, submitter) {
    var action = f.getAttribute('action') || '';
    var m = /^\/staff\/claims\/(\d+)\/(give|undo|approve|reject)$/.exec(action);
    if (m && m[2] === 'give') {
      if (!submitter || !submitter.value) { return null; }
      return { kind: 'give', claim: m[1], prize: submitter.value, name: submitter.getAttribute('data-name'),
        handle: f.getAttribute('data-handle'), checked: needsCheck(f) && confirmed(f) };
    }
    if (m) { return { kind: m[2], claim: m[1] }; }
    if (action === '/staff/manual') {
      var v = function (n) { var el = f.elements[n]; return el ? el.value : ''; };
      var it = { kind: 'manual', campaign: v('c'), handle: v('handle'),
        body: { network: v('network'), handle: v('handle'), post_url: v('post_url'), note: v('note') } };
      var prize = f.elements.prize;
      if (prize && prize.value) {
        // The give's key is chosen now, so a replay after a reload gives at most once too.
        it.then = { key: newKey(), prize: prize.value, name: prize.selectedOptions[0] ? prize.selectedOptions[0].textContent : prize.value };
      }
      return it;
    }
    return null;
  }

  document.addEventListener('submit', function (e) {
    var f = e.target;
    if (f.id === 'logout' && load().length) {
      e.preventDefault();
      say(text('refused'), 'err');
      return;
    }
    if (f.classList.contains('js-give') && needsCheck(f) && !confirmed(f)) {
      e.preventDefault();
      say(text('check-first') || text('check-account'), 'err');
      var c = f.querySelector('.check-account');
      if (c) { c.focus(); }
      return;
    }
    if (f.classList.contains('reissue-form')) {
      // Not queued: the attendee is at the booth to scan the page it opens. The key (the page
      // renders one; a stale form gets a fresh one) makes a double tap a single re-issue.
      var k = f.elements.idempotency_key;
      if (k && !k.value) { k.value = newKey(); }
      return;
    }
    var it = actionOf(f, e.submitter);
    if (!it) { return; }
    e.preventDefault();
    var b = e.submitter;
    if (it.kind === 'manual') { f.reset(); }
    queue(it, b && b.form === f ? b : null);
  });

  var syncNow = document.getElementById('sync-now');
  if (syncNow) { syncNow.addEventListener('click', function () { flush(); }); }
  window.addEventListener('online', function () { flush(); refresh(); });
  window.addEventListener('offline', offline);
  setInterval(function () { if (load().length && sync) { flush(); } }, 15000);

  // A keyboard user's place survives a refresh of the list (any claim event, another tablet's
  // give): the focused control is found again in the new list by what it does (its section, its
  // form's action, its value), else the focus waits on the list itself, where Tab goes on.
  function focused() {
    var el = document.activeElement;
    if (!live || !el || el === live || !live.contains(el)) { return null; }
    var f = el.form || el.closest('form');
    var sec = el.closest('section');
    return { tag: el.tagName, sec: sec ? sec.className : '', action: f ? f.getAttribute('action') : '',
      value: el.value || '', cls: el.classList.contains('check-account') ? 'check-account' : '' };
  }
  function refocus(was) {
    if (!was) { return; }
    var match = Array.prototype.find.call(live.querySelectorAll(was.tag), function (el) {
      var f = el.form || el.closest('form');
      var sec = el.closest('section');
      return (sec ? sec.className : '') === was.sec && (f ? f.getAttribute('action') : '') === was.action &&
        (el.value || '') === was.value && (was.cls === '' || el.classList.contains(was.cls));
    });
    if (!match) {
      live.setAttribute('tabindex', '-1');
      match = live;
    }
    match.focus({ preventScroll: true });
  }

  // The live part of the page is re-rendered by the server when the campaign changes.
  var timer = null;
  function refresh() {
    if (!live) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(live.getAttribute('data-src'), { credentials: 'same-origin' }).then(function (r) {
        if (r.status === 401) { location.reload(); return; }
        if (!r.ok) { return; }
        var cached = r.headers.get('X-Served-From-Cache') === '1';
        if (cached) { offline(); } else { online(); }
        return r.text().then(function (html) {
          // The worker's copy of the list may be older than the page it kept: keep the newer.
          var at = /data-list-at="([^"]+)"/.exec(html);
          if (cached && at && listAt() && at[1] < listAt()) { return; }
          var focus = focused();
          live.innerHTML = html;
          render();
          refocus(focus);
        });
      }, suspect);
    }, 250);
  }
  if (live && window.EventSource) {
    var first = true;
    var es = new EventSource(live.getAttribute('data-events'));
    es.addEventListener('hello', function () {
      // A reconnect may have missed changes; the first hello comes with a fresh page.
      if (!first || localStorage.getItem(OFFLINE)) { refresh(); }
      first = false;
    });
    // The stream dropped (Wi-Fi down, or a deploy): refresh says whether the server is there.
    es.addEventListener('error', refresh);
    ['claim', 'moderation', 'reset'].forEach(function (name) { es.addEventListener(name, refresh); });
  }

  document.querySelectorAll('.js-autosubmit').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });

  // Find by QR: the browser's BarcodeDetector where it exists (Chrome on Android, ...).
  var scan = document.getElementById('scan');
  if (scan && 'BarcodeDetector' in window && navigator.mediaDevices) {
    scan.hidden = false;
    var box = document.getElementById('scanner');
    var video = document.getElementById('scan-video');
    var stream = null;
    var stop = function () {
      if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
      stream = null;
      box.hidden = true;
    };
    document.getElementById('scan-stop').addEventListener('click', stop);
    scan.addEventListener('click', function () {
      var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(function (s) {
        stream = s;
        video.srcObject = s;
        box.hidden = false;
        return video.play();
      }).then(function tick() {
        if (!stream) { return; }
        detector.detect(video).then(function (codes) {
          var code = codes.length ? codeFrom(codes[0].rawValue) : '';
          if (code) {
            stop();
            var q = document.getElementById('q');
            q.value = code;
            q.form.submit();
          } else {
            setTimeout(tick, 250);
          }
        }, function () { setTimeout(tick, 500); });
      }).catch(function (err) { say(String(err), 'err'); stop(); });
    });
  }
  // The claim QR holds PUBLIC_BASE_URL/staff?c=...&code=XXXXXX; a bare code works too.
  function codeFrom(raw) {
    var v = raw;
    try { v = new URL(raw).searchParams.get('code') || raw; } catch (e) { /* not a URL */ }
    v = String(v).trim().toUpperCase();
    return /^[A-Z2-9]{6}$/.test(v) ? v : '';
  }

  // The tablet installs as an app whose worker keeps it for offline use (the pages that link
  // the manifest: the tablet and its login form).
  if ('serviceWorker' in navigator && document.querySelector('link[rel="manifest"]')) {
    var controlled = !!navigator.serviceWorker.controller;
    navigator.serviceWorker.register('/staff/sw.js', { scope: '/staff' }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      // This page came from the network around a worker not yet running: ask it to keep it.
      if (!controlled && reg.active && live) { reg.active.postMessage({ keep: location.href }); }
    }).catch(function () {});
    // A page the worker served from its copy finds out when its event stream cannot connect
    // (the stream's error asks for the list, which then comes from the copy too).
  }

  render();
  if (load().length && sync) { flush(); }
})();
