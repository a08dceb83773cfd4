// The institution picker (issue 30): a field marked data-picker="<suggest url>" offers, as staff type a
// code or part of a name, the region's matching institutions in its datalist ("H3206… 南通市第一人民医院").
// Without this script the field still takes a code, or a name the server resolves when it fits one.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      if (timer) { clearTimeout(timer); }
      if (text.length < 2 || text === asked) { return; }
      timer = setTimeout(function () {
        asked = text;
        fetch(input.dataset.picker + "?q=" + encodeURIComponent(text), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : {items: []}; })
          .then(function (found) {
            while (list.firstChild) { list.removeChild(list.firstChild); }
            found.items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.code;
              option.label = item.code + " " + item.name;
              option.textContent = item.name;
              list.appendChild(option);
            });
          });
      }, 200);
    });
  }
  document.querySelectorAll("input[data-picker]").forEach(attach);
})();
