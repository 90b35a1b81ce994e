// Progressive enhancement for the intake screen: as the operator types the request,
// ask the server for matching knowledge articles and show them in the panel. Without
// this script the panel still shows suggestions for what was last submitted.
(function () {
  var content = document.getElementById("content");
  var panel = document.getElementById("kb-suggestions");
  if (!content || !panel) return;
  var timer = null;
  var last = "";
  function refresh() {
    var text = (document.getElementById("title") || {}).value || "";
    text = (text + " " + content.value).trim();
    if (text === last) return;
    last = text;
    fetch("/console/kb/suggest?text=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && text === last) panel.innerHTML = html; })
      .catch(function () {});
  }
  function soon() { clearTimeout(timer); timer = setTimeout(refresh, 300); }
  content.addEventListener("input", soon);
  var title = document.getElementById("title");
  if (title) title.addEventListener("input", soon);
})();
