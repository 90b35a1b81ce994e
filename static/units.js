// Units by name: under an input marked data-unit-picker, the units whose name
// matches what is typed (住建 → 成都市住房和城乡建设局), from /console/units/find (as /api/v1/units?q=); a click
// or Enter on one fills the input with `名称（code）`. An input that also names
// data-suggest-from fills itself with the dispatch catalogue's suggestion when those
// fields change, unless the operator typed a unit.
(function () {
  "use strict";
  function debounce(f, ms) {
    let t;
    return function () { clearTimeout(t); t = setTimeout(f, ms); };
  }
  for (const input of document.querySelectorAll("input[data-unit-picker]")) {
    const list = document.createElement("ul");
    list.className = "unit-hits";
    list.setAttribute("role", "listbox");
    input.after(list);
    function pick(u) {
      input.value = u.name + "（" + u.code + "）";
      if (input.form) { const m = input.form.querySelector("input[name=unit_suggested]"); if (m) m.value = ""; }
      input.dataset.typed = "1";
      list.replaceChildren();
    }
    const search = debounce(async () => {
      const q = input.value.trim();
      list.replaceChildren();
      if (!q || q.endsWith("）")) return;
      const r = await fetch("/console/units/find?q=" + encodeURIComponent(q), { credentials: "same-origin" });
      if (!r.ok) return;
      for (const u of (await r.json()).items.filter((u) => u.active).slice(0, 6)) {
        const li = document.createElement("li");
        li.setAttribute("role", "option");
        li.tabIndex = 0;
        li.textContent = u.name + "（" + u.code + "）";
        li.addEventListener("click", () => pick(u));
        li.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); pick(u); input.focus(); } });
        list.append(li);
      }
    }, 150);
    // Marks a suggested value as not yet the operator's choice (the form's
    // unit_suggested), until they type in the field or press Enter in it.
    const mark = input.form && input.form.querySelector("input[name=unit_suggested]");
    const confirm = () => { if (mark) mark.value = ""; };
    input.addEventListener("input", () => {
      // Typed by the operator: a later suggestion leaves it alone.
      input.dataset.typed = input.value.trim() ? "1" : "";
      confirm();
      search();
    });
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") confirm(); });
    input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" && list.firstChild) { e.preventDefault(); list.firstChild.focus(); }
    });
    const from = input.dataset.suggestFrom;
    if (!from) continue;
    const fields = from.split(",").map((css) => document.querySelector(css)).filter(Boolean);
    const hint = document.getElementById("unit-suggestion");
    const suggest = async () => {
      if (input.dataset.typed) return;
      const [domain, region] = fields.map((f) => f.value);
      if (!region) return;
      const r = await fetch("/console/units/suggest?region=" + encodeURIComponent(region) +
        (domain ? "&domain=" + encodeURIComponent(domain) : ""), { credentials: "same-origin" });
      if (!r.ok) return;
      const first = (await r.json()).items[0];
      if (input.dataset.typed) return;
      input.value = first ? first.name + "（" + first.unit + "）" : "";
      if (mark) mark.value = first ? "1" : "";
      if (hint) hint.textContent = first ? "派单建议：" + first.name + (first.source === "catalogue" ? "（派单目录）" : "（属地）") : "";
    };
    for (const f of fields) f.addEventListener("change", suggest);
    const form = input.form;
    if (form) form.addEventListener("places-suggested", suggest);
  }
})();
