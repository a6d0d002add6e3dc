// The list of matches: one button per match (focusable, Enter or Space opens it; arrow keys
// move between them), most urgent first, with score, category, observation type, places,
// distance, age and review deadline.

import { h, clear } from "./dom.js";
import * as fmt from "./format.js";
import { isOpen } from "./store.js";

function item(view, selected, fresh, now) {
  const m = view.match;
  const due = fmt.deadline(m.review_due_at, now);
  const travel = view.travel || {};
  const route = [fmt.km(travel.distance_km), fmt.days(travel.days)].filter(Boolean).join(" · ");
  const classes = ["match-item"];
  if (m.escalated && isOpen(view)) classes.push("is-escalated");
  if (!isOpen(view)) classes.push("is-closed");
  if (m.status === "withdrawn") classes.push("is-withdrawn");
  if (fresh) classes.push("is-new");
  const button = h("button", {
    type: "button",
    class: classes.join(" "),
    "aria-current": selected ? "true" : null,
    dataset: { matchId: m.match_id },
  },
    h("span", { class: "score", title: "score" }, fmt.score(m.score)),
    h("span", { class: "summary" },
      h("span", { class: "line title" },
        fresh ? h("span", { class: "badge new" }, "New") : null,
        m.escalated && isOpen(view) ? h("span", { class: "badge escalated" }, "Escalated") : null,
        m.status === "withdrawn" ? h("span", { class: "badge withdrawn" }, "Withdrawn") : null,
        m.decision ? h("span", { class: `badge ${m.decision}` }, fmt.words(m.decision)) : null,
        h("span", { class: "category" }, view.alert ? fmt.words(view.alert.category) : "Alert"),
        h("span", { class: "obs-type" }, ` · ${fmt.words(view.observation ? view.observation.type : "")}`)),
      h("span", { class: "line places" },
        fmt.place(view.alert && view.alert.last_seen), " → ", fmt.place(view.observation && view.observation.seen)),
      h("span", { class: "line times" },
        route ? `${route} · ` : "",
        `proposed ${fmt.ago(m.first_proposed_at, now)}`,
        isOpen(view)
          ? h("span", { class: `due${due.overdue ? " overdue" : due.soon ? " soon" : ""}` }, ` · ${due.text}`)
          : null)),
  );
  return h("li", {}, button);
}

/**
 * Renders `views` into the <ul> `container`, keeping keyboard focus on the same match.
 * `fresh` is a set of match ids to highlight as just arrived.
 */
export function renderList(container, views, { selectedId, fresh, now = Date.now(), onOpen }) {
  const focused = document.activeElement && document.activeElement.dataset
    ? document.activeElement.dataset.matchId
    : null;
  clear(container);
  for (const view of views) {
    container.append(item(view, view.match.match_id === selectedId, fresh.has(view.match.match_id), now));
  }
  if (focused) {
    const again = container.querySelector(`[data-match-id="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  if (!container.dataset.wired) {
    container.dataset.wired = "1";
    container.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-match-id]");
      if (button) onOpen(button.dataset.matchId);
    });
    container.addEventListener("keydown", (event) => {
      if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
      const buttons = [...container.querySelectorAll("button[data-match-id]")];
      const at = buttons.indexOf(document.activeElement);
      if (at === -1) return;
      event.preventDefault();
      const next = buttons[Math.max(0, Math.min(buttons.length - 1, at + (event.key === "ArrowDown" ? 1 : -1)))];
      next.focus();
    });
  }
}
