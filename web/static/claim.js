// Claim page: a copy button for the hashtags, and a claim that waits for signal. The page works
// without it (the text is selectable, the form posts).
(function () {
  'use strict';
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    // Venue set-ups on plain http have no Clipboard API: select and copy the old way.
    var ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.className = 'offscreen';
    document.body.appendChild(ta);
    ta.select();
    var ok = document.execCommand('copy');
    document.body.removeChild(ta);
    return ok ? Promise.resolve() : Promise.reject(new Error('copy failed'));
  }
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener('click', function () {
      var source = document.querySelector(button.getAttribute('data-copy'));
      copyText(source.textContent.trim()).then(function () {
        button.textContent = button.getAttribute('data-done');
        setTimeout(function () { button.textContent = label; }, 1500);
      }, function () {});
    });
  });

  // A phone without signal: the claim waits on the page, as typed, and is sent when the signal
  // is back, instead of ending on the browser's offline error.
  var form = document.querySelector('.claim-form');
  if (form) {
    var wait = document.createElement('p');
    wait.className = 'notice';
    wait.id = 'claim-wait';
    wait.setAttribute('role', 'status');
    wait.hidden = true;
    wait.textContent = form.getAttribute('data-wait');
    form.insertBefore(wait, form.querySelector('button[type="submit"]'));
    var waiting = false;
    form.addEventListener('submit', function (e) {
      if (navigator.onLine !== false) { return; }
      e.preventDefault();
      waiting = true;
      wait.hidden = false;
    });
    window.addEventListener('online', function () {
      if (!waiting) { return; }
      waiting = false;
      form.submit();
    });
  }
})();
