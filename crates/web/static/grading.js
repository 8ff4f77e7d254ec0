// The adverse-event form on a case page: shows only the findings of the kind chosen, and the
// ASTCT grade as the nurse types — the form's fields are sent to /grading, which grades them
// and writes nothing. Without this script both kinds' fields show and the grade appears once
// the form is submitted.
(function () {
  "use strict";
  var form = document.getElementById("adverse-event-form");
  if (!form) { return; }
  var out = document.getElementById("ae-grade");
  var kind = form.elements.namedItem("kind");
  var asked = 0;
  var timer = null;
  function showKind() {
    var sets = form.querySelectorAll("fieldset[data-kind]");
    for (var i = 0; i < sets.length; i++) {
      sets[i].hidden = sets[i].getAttribute("data-kind") !== kind.value;
    }
  }
  function grade() {
    var n = ++asked;
    var body = new URLSearchParams(new FormData(form));
    fetch(form.getAttribute("data-grading"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (r) { return r.json(); }).then(function (a) {
      if (n !== asked) { return; }
      if (typeof a.grade === "number") {
        out.setAttribute("data-grade", String(a.grade));
        out.textContent = "Grade " + a.grade + ": " + a.because.join("; ");
      } else {
        out.setAttribute("data-grade", "");
        out.textContent = (a.errors || []).map(function (e) { return e.message; }).join("; ");
      }
    }).catch(function () {});
  }
  function changed() {
    showKind();
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(grade, 120);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  showKind();
  grade();
})();
