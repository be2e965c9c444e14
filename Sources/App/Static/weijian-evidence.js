// Uploads the file of <form id="evidence-form" data-case="ID"> as a case's evidence: reads it, sends it base64 in
// JSON to /api/v1/supervision/cases/ID/evidence (the session's cookie signs the request), then reloads the page.
(function () {
  "use strict";
  function setUp() {
    var form = document.getElementById("evidence-form");
    if (!form) { return; }
    var message = document.getElementById("evidence-message");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = form.elements.file.files[0];
      if (!file) { return; }
      if (file.size > 1024 * 1024) { message.textContent = "文件超过 1 MB"; return; }
      var reader = new FileReader();
      reader.onload = function () {
        var content = String(reader.result).replace(/^data:[^,]*,/, "");
        fetch("/api/v1/supervision/cases/" + encodeURIComponent(form.getAttribute("data-case")) + "/evidence", {
          method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ name: form.elements.name.value, mediaType: file.type || "application/octet-stream", content: content })
        }).then(function (response) {
          if (response.ok) { window.location.reload(); return; }
          return response.json().then(function (body) { message.textContent = (body.error && body.error.message) || "上传失败"; });
        }).catch(function () { message.textContent = "上传失败，请重试"; });
      };
      reader.readAsDataURL(file);
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", setUp); } else { setUp(); }
})();
