// credential report: sorting and filtering of the providers table (no framework, works from file://).
(function () {
  "use strict";
  var table = document.getElementById("providers");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var RANK = { granted: 0, undetermined: 1, refused: 2 };

  function key(row, col, kind) {
    var cell = row.cells[col];
    if (kind === "outcome") {
      var v = cell.getAttribute("data-value");
      return v in RANK ? RANK[v] : 3;
    }
    return cell.textContent.trim().toLowerCase();
  }

  heads.forEach(function (th, col) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var kind = button.getAttribute("data-sort");
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var order = rows.map(function (r, i) { return [key(r, col, kind), key(r, 0, "text"), i, r]; });
      order.sort(function (a, b) {
        var c = a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
        if (!ascending) { c = -c; }
        if (c === 0) { c = a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]; }
        return c;
      });
      order.forEach(function (o) { body.appendChild(o[3]); });
    });
  });

  var controls = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var shown = document.getElementById("shown");
  function apply() {
    var text = "", attrs = [], subject = "", outcome = "";
    controls.forEach(function (c) {
      var f = c.getAttribute("data-filter");
      if (f === "text") { text = c.value.trim().toLowerCase(); }
      else if (f === "attr" && c.value) { attrs.push([c.getAttribute("data-column"), c.value]); }
      else if (f === "subject") { subject = c.value; }
      else if (f === "outcome") { outcome = c.value; }
    });
    var n = 0;
    rows.forEach(function (r) {
      var ok = !text || (r.cells[0].textContent + " " + r.cells[1].textContent).toLowerCase().indexOf(text) >= 0;
      attrs.forEach(function (a) { if (r.getAttribute("data-" + a[0]) !== a[1]) { ok = false; } });
      if (ok && subject) {
        var cell = r.querySelector('td[data-subject="' + subject.replace(/"/g, '\\"') + '"]');
        ok = cell !== null && cell.getAttribute("data-value") === outcome;
      }
      r.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " providers shown";
  }
  controls.forEach(function (c) { c.addEventListener("input", apply); c.addEventListener("change", apply); });
})();
