// Tenantry console: the few behaviours htmx does not cover. No inline script anywhere (the CSP
// forbids it), so everything hangs off data attributes.
(function () {
  "use strict";

  // A tree node's toggle: the first click loads its children (htmx, hx-get on the button); later
  // clicks fold and unfold them without asking the server again.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle-tree]");
    if (!toggle) return;
    var children = toggle.parentElement.querySelector(":scope > ul.children");
    if (toggle.dataset.loaded) {
      event.preventDefault();
      event.stopImmediatePropagation();
      var open = toggle.getAttribute("aria-expanded") === "true";
      toggle.setAttribute("aria-expanded", open ? "false" : "true");
      toggle.textContent = open ? "▸" : "▾";
      if (children) children.hidden = open;
      return;
    }
    toggle.dataset.loaded = "yes";
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = "▾";
  }, true);

  // A file input that fills a textarea (the customer-tree import reads the file as text).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-fills]")) return;
    var file = input.files && input.files[0];
    var target = document.getElementById(input.dataset.fills);
    if (!file || !target) return;
    file.text().then(function (text) { target.value = text; });
  });

  // A file input that fills a hidden field with the file as a data: URL (an image upload, sent
  // as text in the form; the server decodes it).
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[type=file][data-data-url]")) return;
    var file = input.files && input.files[0];
    var target = document.getElementById(input.dataset.dataUrl);
    if (!file || !target) return;
    var reader = new FileReader();
    reader.onload = function () { target.value = reader.result; };
    reader.readAsDataURL(file);
  });

  // Copy buttons beside secrets shown once.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.dataset.copy);
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = "Copy"; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { source.select && source.select(); });
    } else if (source.select) {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  // A field's error, shown under it, is also announced with it: the input gets aria-invalid
  // and points at the message (aria-describedby). Run on every page and every swapped form.
  var errors = 0;
  function linkFieldErrors(root) {
    root.querySelectorAll(".field-error").forEach(function (message) {
      var field = message.previousElementSibling;
      while (field && !field.matches("input, select, textarea")) {
        if (field.matches("label, p.hint")) { field = field.previousElementSibling; continue; }
        field = null;
      }
      if (!field) return;
      if (!message.id) message.id = "field-error-" + (++errors);
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-describedby", message.id);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { linkFieldErrors(document); });
  document.addEventListener("htmx:load", function (event) { linkFieldErrors(event.detail.elt); });

  // Confirmation before a request marked data-confirm (htmx's hx-confirm would need no more, but
  // plain buttons use this too).
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.elt.getAttribute("data-confirm");
    if (!question) return;
    event.preventDefault();
    if (window.confirm(question)) event.detail.issueRequest(true);
  });
})();
