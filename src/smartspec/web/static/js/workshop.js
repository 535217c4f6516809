/* Workshop: poll the live aggregate while the workshop is open and swap in the server-rendered
   (escaped) fragment. Stops when the workshop closes or the tab is hidden. */
(function () {
  "use strict";

  function init() {
    var section = document.querySelector("[data-poll]");
    if (!section || !window.fetch) { return; }
    var url = section.getAttribute("data-poll");
    var every = Math.max(2, parseInt(section.getAttribute("data-interval"), 10) || 5) * 1000;
    var body = document.getElementById("aggregate-body");
    var status = document.getElementById("aggregate-status");
    var timer = null;
    var last = body.innerHTML;

    function poll() {
      if (document.hidden) { schedule(); return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (res) {
          if (!res.ok) { throw new Error(String(res.status)); }
          var state = res.headers.get("X-Workshop-Status");
          return res.text().then(function (html) { return { html: html, state: state }; });
        })
        .then(function (r) {
          if (r.html !== last) {
            var doc = new DOMParser().parseFromString(r.html, "text/html");
            body.replaceChildren.apply(body, Array.prototype.slice.call(doc.body.childNodes));
            last = r.html;
            if (window.smartspec) { window.smartspec.enhanceForms(body); }
            body.setAttribute("data-updated", String(Date.now()));
          }
          if (status) { status.textContent = new Date().toLocaleTimeString(); }
          if (r.state === "closed") { window.location.reload(); return; }
          schedule();
        })
        .catch(function () { schedule(every * 2); });
    }

    function schedule(delay) {
      window.clearTimeout(timer);
      timer = window.setTimeout(poll, delay || every);
    }

    document.addEventListener("visibilitychange", function () { if (!document.hidden) { poll(); } });
    schedule();
  }

  document.addEventListener("DOMContentLoaded", init);
})();
