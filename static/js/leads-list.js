// The leads list's bulk actions: a "select every lead on this page" box in the table's head,
// a count of the ticked leads, and only the chosen action's value shown. Without this script
// the form still works: tick rows, or choose "every lead on this page" or "matching".
"use strict";

(() => {
  const form = document.getElementById("bulk-actions");
  if (!form) return;
  const panel = document.getElementById("bulk-panel");
  const counter = document.getElementById("bulk-ticked");
  const pageBox = document.getElementById("select-page");
  const rowBoxes = () => [...document.querySelectorAll('input[name="lead"][form="bulk-actions"]')];

  function refresh() {
    const boxes = rowBoxes();
    const ticked = boxes.filter((box) => box.checked).length;
    counter.textContent = ticked ? `(${ticked} ticked)` : "";
    if (pageBox) {
      pageBox.checked = ticked > 0 && ticked === boxes.length;
      pageBox.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    if (ticked) {
      const selected = form.querySelector('input[name="scope"][value="selected"]');
      if (selected) selected.checked = true;
      panel.open = true;
    }
  }

  if (pageBox) {
    pageBox.hidden = false;
    pageBox.addEventListener("change", () => {
      for (const box of rowBoxes()) box.checked = pageBox.checked;
      refresh();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches('input[name="lead"][form="bulk-actions"]')) refresh();
  });

  const action = form.querySelector('[name="action"]');
  function showValueField() {
    for (const part of form.querySelectorAll("[data-bulk-for]")) {
      part.hidden = !part.dataset.bulkFor.split(" ").includes(action.value);
    }
  }
  action.addEventListener("change", showValueField);
  showValueField();
  refresh();
})();
