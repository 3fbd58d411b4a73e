// Suggest related rows as one types into a key input (input[data-lookup] with a datalist).
// Without this script the key is typed by hand and the server checks it.
(function () {
  "use strict";
  if (window.webappLookup) { return; }
  window.webappLookup = true;

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var q = input.value.trim();
        if (!q || q === asked || !list) { return; }
        asked = q;
        var url = input.dataset.lookup + (input.dataset.lookup.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
        window.fetch(url, { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (item) {
              var option = document.createElement("option");
              option.value = item.key;
              option.textContent = item.label;
              return option;
            }));
          })
          .catch(function () { /* suggestions are a convenience; typing the key still works */ });
      }, 200);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-lookup]").forEach(attach);
  });
})();
