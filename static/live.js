// Live counts: the unread notifications in the navigation and each work queue's badge
// follow the server's events (/console/notifications/stream). Without script the
// counts are those of the page's load.
(function () {
  "use strict";
  if (!window.EventSource) return;
  const nav = document.getElementById("nav-notifications");
  if (!nav) return;
  function badge(el, text) {
    let b = el.querySelector(".count");
    if (!text || text === "0") {
      if (b && el === nav) b.remove(); else if (b) b.textContent = "0";
      return;
    }
    if (!b) { b = document.createElement("span"); b.className = "count"; el.append(" ", b); }
    b.textContent = text;
  }
  const source = new EventSource("/console/notifications/stream");
  source.addEventListener("counts", (e) => {
    const c = JSON.parse(e.data);
    const unread = c.unread >= 100 ? "99+" : String(c.unread);
    badge(nav, unread);
    nav.setAttribute("aria-label", "通知，" + unread + " 条未读");
    nav.dataset.unread = String(c.unread);
    for (const a of document.querySelectorAll("a[data-queue]")) {
      const n = c.queues[a.dataset.queue];
      if (n !== undefined) badge(a, n);
    }
  });
})();
