// Places by name (intake and portal): the street list follows the district chosen,
// and an address typed before a district is chosen suggests both. A form opts in
// with data-places="CODE", the division its districts lie in.
(function () {
  "use strict";
  function option(value, label) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = label;
    return o;
  }
  async function fillStreets(region, street, chosen) {
    street.replaceChildren(option("", "（不选）"));
    if (!region.value) return;
    const r = await fetch("/api/v1/regions?parent=" + encodeURIComponent(region.value));
    if (!r.ok) return;
    for (const s of (await r.json()).items) {
      if (s.level === "street") street.append(option(s.code, s.name));
    }
    street.value = chosen || "";
  }
  for (const form of document.querySelectorAll("form[data-places]")) {
    const region = form.querySelector("select[name=region]");
    const street = form.querySelector("select[name=street]");
    const address = form.querySelector("[name=address]");
    if (!region || !street) continue;
    region.addEventListener("change", () => {
      region.dataset.chosen = "1";
      fillStreets(region, street, "");
    });
    street.addEventListener("change", () => { street.dataset.chosen = "1"; });
    if (!address) continue;
    address.addEventListener("change", async () => {
      if (!address.value.trim() || region.dataset.chosen) return;
      const within = form.dataset.places;
      const url = "/api/v1/regions/suggest?address=" + encodeURIComponent(address.value) +
        (within ? "&within=" + encodeURIComponent(within) : "");
      const r = await fetch(url);
      if (!r.ok) return;
      const s = await r.json();
      if (!s.region || !region.querySelector('option[value="' + s.region.code + '"]')) return;
      region.value = s.region.code;
      await fillStreets(region, street, street.dataset.chosen ? street.value : (s.street ? s.street.code : ""));
      form.dispatchEvent(new CustomEvent("places-suggested"));
    });
  }
})();
