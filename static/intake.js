// The intake screen: the call timer, and filling in the caller's earlier name and
// address when the phone lookup offered them.
(function () {
  "use strict";
  const timer = document.getElementById("call-timer");
  if (timer) {
    const start = Date.now();
    const two = (n) => String(n).padStart(2, "0");
    setInterval(() => {
      const s = Math.floor((Date.now() - start) / 1000);
      timer.value = two(Math.floor(s / 60)) + ":" + two(s % 60);
    }, 1000);
  }
  const earlier = document.getElementById("use-earlier");
  if (earlier) {
    earlier.accessKey = "e";
    earlier.addEventListener("click", () => {
      const name = document.getElementById("name");
      const address = document.getElementById("address");
      if (name && earlier.dataset.name) name.value = earlier.dataset.name;
      if (address && earlier.dataset.address) {
        address.value = earlier.dataset.address;
        address.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }
})();
