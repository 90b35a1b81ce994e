// Common phrases (常用语): picking one from the list beside a text box inserts it
// where the cursor was (at the end if the box was not used yet), to be edited.
(function () {
  "use strict";
  for (const pick of document.querySelectorAll("select.phrases")) {
    pick.addEventListener("change", () => {
      const box = document.getElementById(pick.dataset.for);
      const phrase = pick.value;
      pick.value = "";
      if (!box || !phrase) return;
      const at = box.selectionStart ?? box.value.length;
      const end = box.selectionEnd ?? at;
      box.value = box.value.slice(0, at) + phrase + box.value.slice(end);
      box.focus();
      box.setSelectionRange(at + phrase.length, at + phrase.length);
      box.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }
})();
