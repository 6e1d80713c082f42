// The pipeline board: drag a card to another column (SortableJS, static/vendor/sortablejs/),
// or use its "Move to…" without a page load; the stage tabs of a phone switch without one.
// Without this script every part still works: "Move to…" posts its form and the tabs are links.
"use strict";

(() => {
  const board = document.getElementById("board");
  if (!board) return;
  const announcer = document.getElementById("board-announcer");
  const narrow = window.matchMedia("(max-width: 720px)");

  function announce(text, kind) {
    const message = document.createElement("p");
    message.className = `message ${kind}`;
    message.textContent = text;
    announcer.replaceChildren(message);
  }

  function listOf(stageId) {
    return board.querySelector(`ol.cards[data-stage-id="${CSS.escape(stageId)}"]`);
  }

  function showEmptyNotes() {
    for (const list of board.querySelectorAll("ol.cards")) {
      const note = list.parentElement.querySelector(".column-empty");
      if (note) note.hidden = list.querySelector(".lead-card") !== null;
    }
  }

  function updateColumns(columns) {
    for (const [stageId, total] of Object.entries(columns)) {
      const id = CSS.escape(stageId);
      for (const node of document.querySelectorAll(`[data-count-of="${id}"]`)) {
        node.textContent = total.count.toLocaleString("en-US");
      }
      for (const node of document.querySelectorAll(`[data-count-display-of="${id}"]`)) {
        node.textContent = total.count_display;
      }
      for (const node of document.querySelectorAll(`[data-value-of="${id}"]`)) {
        node.textContent = total.deal_value_display;
      }
    }
  }

  // POST the card's own "Move to…" form (its CSRF token, lead and board address) with the
  // stage wanted; the answer is JSON. Throws with a message a person can read.
  async function requestMove(card, stageId) {
    const form = card.querySelector(".move-form");
    const body = new URLSearchParams(new FormData(form));
    body.set("stage_id", stageId);
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") },
      });
    } catch {
      throw new Error("the server could not be reached. Check the connection and try again.");
    }
    const type = response.headers.get("Content-Type") || "";
    if (response.redirected || !type.includes("application/json")) {
      throw new Error("your session may have ended. Reload the page and try again.");
    }
    const data = await response.json();
    if (!response.ok || data.error) {
      throw new Error(data.error ? data.error.message : `the server answered ${response.status}.`);
    }
    return data;
  }

  // The server's new card (days in stage, rotting flag, its select) replaces the old one at the
  // top of its new column: a column lists the newest arrivals first.
  function place(card, data) {
    const template = document.createElement("template");
    template.innerHTML = data.card_html.trim();
    const fresh = template.content.firstElementChild;
    const list = listOf(data.lead.stage_id);
    if (list) list.prepend(fresh);
    card.remove();
    updateColumns(data.columns);
    showEmptyNotes();
    return fresh;
  }

  async function move(card, stageId, { from, oldIndex } = {}) {
    card.setAttribute("aria-busy", "true");
    try {
      const data = await requestMove(card, stageId);
      const fresh = place(card, data);
      announce(data.message, data.changed ? "success" : "info");
      return fresh;
    } catch (error) {
      card.removeAttribute("aria-busy");
      if (from) from.insertBefore(card, from.children[oldIndex] || null); // back where it was
      showEmptyNotes();
      announce(`Not moved: ${error.message}`, "error");
      return null;
    }
  }

  // "Move to…": the keyboard's (and a phone's) way. Focus stays with the card when its new
  // column is on screen, else goes to the column it left.
  board.addEventListener("submit", async (event) => {
    const form = event.target.closest(".move-form");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".lead-card");
    const column = card.closest(".column");
    const after = card.nextElementSibling;
    const fresh = await move(card, form.elements.stage_id.value);
    if (!fresh) return;
    if (fresh.offsetParent !== null) {
      fresh.querySelector(".lead-link").focus();
    } else if (after && after.isConnected) {
      after.querySelector(".lead-link").focus();
    } else {
      column.querySelector("h2").focus();
    }
  });

  // Drag and drop, on screens wide enough to show the columns side by side. Order within a
  // column is the arrival order, so a card moves between columns only.
  if (window.Sortable) {
    const sortables = [...board.querySelectorAll("ol.cards")].map((list) =>
      window.Sortable.create(list, {
        group: "board",
        sort: false,
        draggable: ".lead-card",
        filter: ".card-move",
        preventOnFilter: false,
        animation: 120,
        // On a touch screen a drag starts after a short press, so a swipe still scrolls.
        delay: 150,
        delayOnTouchOnly: true,
        ghostClass: "is-ghost",
        chosenClass: "is-chosen",
        disabled: narrow.matches,
        onAdd: (event) => {
          move(event.item, event.to.dataset.stageId, { from: event.from, oldIndex: event.oldIndex });
        },
      }),
    );
    narrow.addEventListener("change", () => {
      for (const sortable of sortables) sortable.option("disabled", narrow.matches);
    });
  }

  // The chosen stage's tab in view, when the tabs scroll sideways.
  const chosenTab = document.querySelector('[data-stage-tab][aria-current="true"]');
  if (chosenTab) {
    const tabs = chosenTab.closest(".stage-tabs");
    tabs.scrollLeft = chosenTab.offsetLeft - tabs.offsetLeft - 16;
  }

  // The stage tabs (a phone): show the column without a page load, and keep the address and
  // the filter form's hidden `stage` in step so a reload or "Apply" stays on it.
  document.addEventListener("click", (event) => {
    const tab = event.target.closest("[data-stage-tab]");
    if (!tab || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    const stageId = tab.dataset.stageTab;
    for (const other of document.querySelectorAll("[data-stage-tab]")) {
      if (other === tab) other.setAttribute("aria-current", "true");
      else other.removeAttribute("aria-current");
    }
    for (const column of board.querySelectorAll(".column")) {
      column.classList.toggle("is-current", column.dataset.stageId === stageId);
    }
    const hidden = document.querySelector("#board-filters input[name=stage]");
    if (hidden) hidden.value = stageId;
    history.replaceState(null, "", tab.href);
  });
})();
