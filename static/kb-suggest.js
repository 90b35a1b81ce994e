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
  // Citing an article fills the direct answer with its answer script, to be edited;
  // what the operator wrote themselves is never replaced.
  var answer = document.getElementById("answer");
  var filled = "";
  panel.addEventListener("change", function (e) {
    var cite = e.target;
    if (!answer || !cite || cite.name !== "article_id") return;
    if (answer.value.trim() === "" || answer.value === filled) {
      filled = cite.getAttribute("data-answer") || "";
      answer.value = filled;
    }
  });
  var title = document.getElementById("title");
  if (title) title.addEventListener("input", soon);
})();
