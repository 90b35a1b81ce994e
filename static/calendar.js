// The calendar editor: a click on a day of the year's grid turns it from a plain day
// to a day off (休), to a make-up working day (班, weekends only), and back; the two
// lists of dates below, which the form sends, follow. Without script the lists are
// edited as text.
(function () {
  "use strict";
  const grid = document.querySelector(".year-grid");
  const holidays = document.getElementById("holidays");
  const workdays = document.getElementById("workdays");
  if (!grid || !holidays || !workdays) return;
  function dates(area) { return new Set(area.value.split(/\s+/).filter(Boolean)); }
  function write(area, set) { area.value = [...set].sort().join("\n"); }
  grid.addEventListener("click", (e) => {
    const cell = e.target.closest("td[data-date]");
    if (!cell) return;
    const d = cell.dataset.date;
    const h = dates(holidays), w = dates(workdays);
    const day = new Date(d + "T00:00:00").getDay();
    const weekend = day === 0 || day === 6;
    if (h.has(d)) {
      h.delete(d);
      if (weekend) { w.add(d); cell.className = "workday"; } else { cell.className = ""; }
    } else if (w.has(d)) {
      w.delete(d);
      cell.className = "weekend";
    } else {
      h.add(d);
      cell.className = "holiday";
    }
    write(holidays, h);
    write(workdays, w);
  });
})();
