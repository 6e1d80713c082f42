/* Accessible names for widgets the Django admin builds itself, where no project template can
   reach (loaded by templates/admin/base_site.html). Runs again whenever the admin adds some
   (select2 and the horizontal filters are built after the page loads; inlines add rows).

   - select2 comboboxes (autocomplete_fields) and the read-only textbox inside them that shows the
     value are labelled only by that value, which is empty on a new object: they get their
     field's label too.
   - The horizontal filter's search icon is a <span> with an aria-label and no role, which ARIA
     does not allow: it becomes an image.
   - A date-and-time field's two inputs have no label of their own (the field's <label> has no
     `for`, the "Date:" and "Time:" beside them are plain text): each gets "<field>: Date" etc. */
(function () {
  "use strict";

  function text(node) {
    return (node && node.textContent ? node.textContent : "").replace(/\s+/g, " ").trim();
  }

  function nameComboboxes() {
    document.querySelectorAll('.select2-selection[role="combobox"]').forEach(function (box) {
      if (box.dataset.a11yNamed) return;
      const container = box.closest(".select2-container");
      const select = container && container.previousElementSibling;
      if (!select || !select.id) return;
      const label = document.querySelector('label[for="' + select.id + '"]');
      if (!label) return;
      if (!label.id) label.id = select.id + "_label";
      const own = box.getAttribute("aria-labelledby");
      box.setAttribute("aria-labelledby", own ? label.id + " " + own : label.id);
      // The read-only textbox inside that shows the current value: named by the label and
      // that value (empty until something is chosen).
      const shown = own && document.getElementById(own);
      if (shown && shown.getAttribute("role") === "textbox") {
        shown.setAttribute("aria-labelledby", label.id + " " + own);
      }
      box.dataset.a11yNamed = "1";
    });
  }

  function fixFilterIcons() {
    document.querySelectorAll(".search-label-icon[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function nameDateTimeInputs() {
    document.querySelectorAll("p.datetime").forEach(function (line) {
      const box = line.parentElement;
      const fieldLabel = box ? text(box.querySelector(":scope > label")).replace(/:$/, "") : "";
      line.querySelectorAll("input").forEach(function (input) {
        if (input.type === "hidden" || input.hasAttribute("aria-label")) return;
        let before = input.previousSibling;
        while (before && before.nodeType !== Node.TEXT_NODE) before = before.previousSibling;
        const part = text(before).replace(/:$/, "");
        const name = [fieldLabel, part].filter(Boolean).join(": ");
        if (name) input.setAttribute("aria-label", name);
      });
    });
  }

  function fixAll() {
    nameComboboxes();
    fixFilterIcons();
    nameDateTimeInputs();
  }

  document.addEventListener("DOMContentLoaded", function () {
    fixAll();
    // Right after each change (not on the next frame: a page may be read before then). Only
    // attributes are set here, which this observer does not watch: no loop.
    new MutationObserver(fixAll).observe(document.body, { childList: true, subtree: true });
  });
  window.addEventListener("load", fixAll);
})();
