// Staff tablet. Gives go through the JSON API with an Idempotency-Key, and through an outbox in
// localStorage first: a give tapped while the venue Wi-Fi is down waits on the tablet (surviving
// a reload) and is sent when the network is back, never twice, since the key goes with it.
// Without this script every button is a plain form and still works.
(function () {
  'use strict';
  var OUTBOX = 'giveaway.outbox.v1';
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
  function clock(iso) {
    var d = new Date(iso);
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

  function render() {
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
      var sel = 'form.js-give[data-claim="' + CSS.escape(i.claim) + '"] button[value="' + CSS.escape(i.prize) + '"]';
      document.querySelectorAll(sel).forEach(function (b) { b.classList.add('queued'); });
    });
  }

  // send answers 'done' (the server decided, whatever it said), or 'keep' to try again later.
  function send(item) {
    return fetch('/api/v1/claims/' + encodeURIComponent(item.claim) + '/give', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, 'Idempotency-Key': item.key },
      body: JSON.stringify({ prize: item.prize })
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      var err = (res.body && res.body.error) || {};
      if (res.status === 401 || err.code === 'csrf_failed') {
        say(text('login'), 'err');
        return 'keep';
      }
      if (res.status >= 500 || res.status === 429 || err.code === 'request_in_flight') { return 'keep'; }
      drop(item.key);
      if (res.status === 200) {
        say(fmt(text('given'), { prize: item.name || item.prize, handle: item.handle }), 'ok');
      } else if (err.code === 'already_given' || err.code === 'limit_reached') {
        var d = err.details || {};
        say(fmt(text('already'), { at: clock(d.given_at), by: d.given_by }), 'err');
      } else {
        say(fmt(text('failed'), { msg: err.message || res.status }), 'err');
      }
      refresh();
      return 'done';
    }, function () {
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

  document.addEventListener('submit', function (e) {
    var f = e.target;
    if (f.id === 'logout' && load().length) {
      e.preventDefault();
      say(text('refused'), 'err');
      return;
    }
    if (!f.classList.contains('js-give')) { return; }
    var b = e.submitter;
    if (!b || !b.value) { return; }
    e.preventDefault();
    var item = { key: newKey(), claim: f.getAttribute('data-claim'), prize: b.value,
      name: b.getAttribute('data-name'), handle: f.getAttribute('data-handle'), at: Date.now() };
    // Written down before it is sent: a reload or a dropped connection cannot lose it.
    var q = load();
    q.push(item);
    store(q);
    b.disabled = true;
    flush().then(function () { b.disabled = false; });
  });

  var syncNow = document.getElementById('sync-now');
  if (syncNow) { syncNow.addEventListener('click', function () { flush(); }); }
  window.addEventListener('online', function () { flush(); });
  setInterval(function () { if (load().length && sync) { flush(); } }, 15000);

  // The live part of the page is re-rendered by the server when the campaign changes.
  var timer = null;
  function refresh() {
    if (!live) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(live.getAttribute('data-src'), { credentials: 'same-origin' }).then(function (r) {
        if (r.status === 401) { location.reload(); return; }
        if (r.ok) { return r.text().then(function (html) { live.innerHTML = html; render(); }); }
      }, function () {});
    }, 250);
  }
  if (live && window.EventSource) {
    var first = true;
    var es = new EventSource(live.getAttribute('data-events'));
    es.addEventListener('hello', function () {
      // A reconnect may have missed changes; the first hello comes with a fresh page.
      if (!first) { refresh(); }
      first = false;
    });
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

  render();
  if (load().length && sync) { flush(); }
})();
