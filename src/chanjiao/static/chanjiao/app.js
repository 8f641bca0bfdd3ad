// Small behaviours shared by every page; no framework. Loaded with `defer`.
(function () {
  "use strict";

  // <form data-confirm="…">: ask before a destructive submit (revoking a role or a token).
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <button data-copy="#selector" data-copied="已复制">: copy the element's text to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.querySelector("[data-copy-label]") || button;
      var before = label.textContent;
      label.textContent = button.dataset.copied || before;
      setTimeout(function () { label.textContent = before; }, 2000);
    });
  });

  // Fields marked data-kinds="school enterprise" show only when the form's kind select has one of
  // those values (the organisation form asks a school for its level, an enterprise for its size).
  function toggleKinds(select) {
    var form = select.form;
    form.querySelectorAll("[data-kinds]").forEach(function (el) {
      var show = !select.value || el.dataset.kinds.split(" ").indexOf(select.value) !== -1
        || el.querySelector(".is-invalid") !== null;
      el.hidden = !show;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-kind-select]")) toggleKinds(event.target);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-kind-select]").forEach(toggleKinds);
  });
})();
