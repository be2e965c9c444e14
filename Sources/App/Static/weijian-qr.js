// Draws each <div data-qr="URL"> as the QR code of its URL made absolute (an SVG, error correction M), with qrcode.js.
(function () {
  "use strict";
  function draw() {
    if (typeof qrcode === "undefined") { return; }
    document.querySelectorAll("[data-qr]").forEach(function (element) {
      var code = qrcode(0, "M");
      // An absolute address, so that a phone scanning the printed code reaches this server.
      code.addData(new URL(element.getAttribute("data-qr"), window.location.href).href);
      code.make();
      element.innerHTML = code.createSvgTag(4, 2);
      element.setAttribute("data-drawn", "true");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
