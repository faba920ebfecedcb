// micro_http reference app: small progressive enhancement, no dependencies.
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " bytes";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KiB";
    return (bytes / (1024 * 1024)).toFixed(1) + " MiB";
  }

  function init() {
    var input = document.getElementById("upload-file");
    var info = document.getElementById("upload-file-info");
    if (!input || !info) return;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      info.textContent = file ? file.name + " (" + formatSize(file.size) + ")" : "";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
