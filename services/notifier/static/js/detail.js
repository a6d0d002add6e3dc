// One match in full: summary and deadline, the map, the explanation signal by signal, the alert
// and the observation side by side (read from intake through the notifier's forwarding route,
// so intake authorises and audits the read), earlier reviews, and the review form.

import { h, clear } from "./dom.js";
import * as fmt from "./format.js";
import { drawMap } from "./map.js";

const list = (values) => (Array.isArray(values) && values.length ? values.join(", ") : null);

function birth(child) {
  if (!child || !child.date_of_birth) return null;
  const kind = child.date_of_birth_kind;
  return kind && kind !== "exact" ? `${child.date_of_birth} (${fmt.words(kind)})` : child.date_of_birth;
}

function age(child) {
  const range = child && child.age_range;
  if (!range) return null;
  return range.min === range.max ? `${range.min} years` : `${range.min}–${range.max} years`;
}

function adults(record) {
  const found = record.accompanying_adults;
  if (!Array.isArray(found) || !found.length) return null;
  return found
    .map((a) => [fmt.words(a.relationship), [a.given_names, a.family_name].filter(Boolean).join(" ")]
      .filter(Boolean).join(": "))
    .join("; ");
}

function documents(child) {
  const found = child && child.identity_documents;
  if (!Array.isArray(found) || !found.length) return null;
  return found
    .map((d) => [fmt.words(d.type), d.issuing_country, d.number].filter(Boolean).join(" "))
    .join("; ");
}

function seenOf(record) {
  if (record.last_seen) return record.last_seen;
  return { at: record.observed_at || record.registered_at, location: record.location };
}

function who(record) {
  const org = record.issuing_authority || record.reporter || record.centre;
  if (!org) return null;
  return [org.id, org.country].filter(Boolean).join(", ");
}

// Each row: a label and how to read it from an intake record (alert, registration or sighting).
const ROWS = [
  ["Given names", (r) => r.child && r.child.given_names],
  ["Family name", (r) => r.child && r.child.family_name],
  ["Other names", (r) => list(r.child && r.child.other_names)],
  ["Name in original script", (r) => r.child && r.child.names_original_script],
  ["Father", (r) => r.child && r.child.father_name],
  ["Mother", (r) => r.child && r.child.mother_name],
  ["Sex", (r) => r.child && fmt.words(r.child.sex)],
  ["Date of birth", (r) => birth(r.child)],
  ["Age", (r) => age(r.child)],
  ["Place of birth", (r) => r.child && r.child.place_of_birth],
  ["Nationalities", (r) => list(r.child && r.child.nationalities)],
  ["Languages", (r) => list(r.child && r.child.languages)],
  ["Height", (r) => r.child && r.child.height_cm && `${r.child.height_cm} cm`],
  ["Distinguishing marks", (r) => list(r.child && r.child.distinguishing_marks)],
  ["Identity documents", (r) => documents(r.child)],
  ["Where", (r) => fmt.place(seenOf(r))],
  ["When", (r) => fmt.when(seenOf(r).at)],
  ["Accompanied", (r) => (typeof r.accompanied === "boolean" ? (r.accompanied ? "yes" : "no") : null)],
  ["Adults with the child", (r) => adults(r)],
  ["Category", (r) => r.category && fmt.words(r.category)],
  ["Case type", (r) => r.case_type && fmt.words(r.case_type)],
  ["Risk level", (r) => r.risk_level && fmt.words(r.risk_level)],
  ["Warnings", (r) => list((r.warning_flags || []).map(fmt.words))],
  ["Circumstances", (r) => r.circumstances],
  ["Reporter's confidence", (r) => r.confidence && fmt.words(r.confidence)],
  ["Description", (r) => r.description],
  ["Age assessed by", (r) => r.age_assessment && fmt.words(r.age_assessment.method)],
  ["Recorded by", (r) => who(r)],
  ["Reference", (r) => r.authority_reference || r.centre_reference],
  ["Recorded at", (r) => r.created_at && fmt.when(r.created_at)],
];

// The rows about the child (before "Where") are highlighted where both records agree.
const COMPARED_ROWS = ROWS.findIndex(([labelText]) => labelText === "Where");

/** A record as one column: {ok: true, record} or {ok: false, error (ApiError)}. */
function recordsTable(view, alertResult, obsResult, obsWord) {
  // A record intake would not show still has the place and time the notifier knows.
  const known = {
    Alert: view.alert ? { last_seen: view.alert.last_seen, category: view.alert.category } : {},
    [obsWord]: view.observation
      ? { location: view.observation.seen.location, observed_at: view.observation.seen.at }
      : {},
  };
  const columns = [
    ["Alert", alertResult],
    [obsWord, obsResult],
  ].map(([name, result]) => [result.ok ? name : `${name} (place and time only)`, result, known[name]]);
  const notices = columns
    .filter(([, result]) => !result.ok)
    .map(([name, result]) =>
      h("p", { class: "notice warn", role: "note" },
        h("strong", {}, `${name.replace(/ \(.*/, "")}: `),
        `intake did not show it to you — ${result.error.lines().join(" ")}`));
  const rows = [];
  for (const [index, [labelText, read]] of ROWS.entries()) {
    const cells = columns.map(([, result, fallback]) => (result.ok ? read(result.record) : read(fallback)));
    if (cells.every((c) => c === null || c === undefined || c === "")) continue;
    const same = index < COMPARED_ROWS && cells[0] !== null && cells[0] !== undefined && cells[0] === cells[1];
    rows.push(
      h("tr", { class: same ? "same" : "" },
        h("th", { scope: "row" }, labelText),
        ...cells.map((c) => h("td", {}, c === null || c === undefined || c === "" ? "—" : c))),
    );
  }
  const table = rows.length
    ? h("table", { class: "records" },
        h("caption", { class: "visually-hidden" }, `The alert and the ${obsWord.toLowerCase()} side by side`),
        h("thead", {}, h("tr", {}, h("td", {}), columns.map(([name]) => h("th", { scope: "col" }, name)))),
        h("tbody", {}, rows))
    : null;
  return [...notices, table];
}

export function verdictOf(signal) {
  const c = Number(signal.contribution) || 0;
  if (c === 0 || signal.detail === "missing") return "missing";
  return c > 0 ? "agrees" : "disagrees";
}

const VERDICT_WORDS = { agrees: "Agrees", disagrees: "Disagrees", missing: "Missing" };

function explanation(signals, score) {
  if (!Array.isArray(signals) || !signals.length) {
    return h("p", { class: "muted" }, "The correlator gave no explanation for this match.");
  }
  const largest = Math.max(1, ...signals.map((s) => Math.abs(Number(s.contribution) || 0)));
  const total = signals.reduce((sum, s) => sum + (Number(s.contribution) || 0), 0);
  const items = signals.map((s) => {
    const verdict = verdictOf(s);
    const c = Number(s.contribution) || 0;
    const bar = h("span", { class: "bar" });
    bar.style.setProperty("--share", `${Math.round((Math.abs(c) / largest) * 100)}%`);
    return h("li", { class: `signal ${verdict}`, dataset: { signal: s.signal } },
      h("span", { class: "verdict" }, VERDICT_WORDS[verdict]),
      h("span", { class: "signal-name" }, fmt.signalName(s.signal)),
      h("span", { class: "contribution" }, `${c > 0 ? "+" : c < 0 ? "−" : "±"}${Math.abs(c).toFixed(c !== 0 && Math.abs(c) < 0.05 ? 2 : 1)}`),
      h("span", { class: "bar-track", "aria-hidden": "true" }, bar),
      h("span", { class: "signal-detail" }, fmt.levelText(s.detail)));
  });
  return [
    h("ul", { class: "signals" }, items),
    h("p", { class: "muted small" },
      `Contributions are evidence weights (bits): + for the same child, − against. `,
      `Sum ${total >= 0 ? "+" : "−"}${Math.abs(total).toFixed(1)}, calibrated to the score ${fmt.score(score)}.`),
  ];
}

function reviewsList(reviews) {
  if (!reviews || !reviews.length) return null;
  return h("ul", { class: "reviews" },
    reviews.map((r) =>
      h("li", { class: `review ${r.decision}` },
        h("strong", {}, fmt.words(r.decision)), ` by ${r.reviewer ? `${r.reviewer.id} (${r.reviewer.organisation_id})` : "someone"}`,
        `, ${fmt.when(r.at)}`, ` — revision ${r.revision}`,
        r.override_reason ? h("span", { class: "override" }, ` · override: ${r.override_reason}`) : null)));
}

// Why a proposal was withdrawn, as match.withdrawn says it; a reason not known here is shown
// as given (the correlator may add reasons).
const WITHDRAWAL_REASONS = {
  outranked: "another alert now stands out for this observation, or scores too close to this one for either to stand out",
  below_threshold: "the alert changed and the pair no longer scores enough",
  alert_resolved: "the alert was resolved",
  conflicting: "the alert stands out for another observation that cannot be the same child",
  erased: "the personal data of the alert or of the observation was erased",
};

function withdrawalReason(m) {
  if (!m.withdrawn_reason) return "";
  const said = WITHDRAWAL_REASONS[m.withdrawn_reason] || fmt.words(m.withdrawn_reason);
  const by = m.superseded_by ? ` (in favour of match ${m.superseded_by})` : "";
  return ` because ${said}${by}`;
}

function badges(m) {
  return [
    m.escalated && !m.decision ? h("span", { class: "badge escalated" }, "Escalated") : null,
    m.decision ? h("span", { class: `badge ${m.decision}` }, fmt.words(m.decision)) : null,
    m.status === "withdrawn" ? h("span", { class: "badge withdrawn" }, "Withdrawn") : null,
  ];
}

/**
 * The review form. `submit(decision, note, overrideReason)` returns a promise: resolves with the
 * review, or rejects with an ApiError (a 409 review-conflict opens the override field).
 */
function reviewForm(view, submit, flash) {
  const m = view.match;
  const status = h("div", { class: `form-status${flash ? " ok" : ""}`, role: "status", "aria-live": "polite" },
    flash || "");
  const note = h("textarea", { id: "review-note", name: "note", rows: 3, maxlength: 2000,
    placeholder: "What you checked, whom you informed…" });
  const reasonField = h("div", { class: "field override-field", hidden: true },
    h("label", { for: "override-reason" }, "Reason for overriding the earlier decision (required)"),
    h("textarea", { id: "override-reason", rows: 2, maxlength: 2000, minlength: 3 }));
  const confirm = h("button", { type: "submit", class: "primary confirm", value: "confirmed" }, "Confirm match");
  const reject = h("button", { type: "submit", class: "danger reject", value: "rejected" }, "Reject match");
  const form = h("form", { class: "review-form", "aria-labelledby": "review-heading", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "review-note" }, "Note for the record (optional)"), note),
    reasonField,
    h("div", { class: "actions" }, confirm, reject),
    status);
  let overriding = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const decision = (event.submitter && event.submitter.value) || "confirmed";
    const reason = reasonField.querySelector("textarea").value.trim();
    if (overriding && reason.length < 3) {
      status.className = "form-status error";
      status.textContent = "Give a reason (at least 3 characters) to override the earlier decision.";
      reasonField.querySelector("textarea").focus();
      return;
    }
    for (const b of [confirm, reject]) b.disabled = true;
    status.className = "form-status";
    status.textContent = decision === "confirmed" ? "Confirming…" : "Rejecting…";
    try {
      const review = await submit(decision, note.value.trim(), overriding ? reason : null);
      status.className = "form-status ok";
      status.textContent = `${fmt.words(review.decision)} (revision ${review.revision}).`;
    } catch (err) {
      for (const b of [confirm, reject]) b.disabled = false;
      status.className = "form-status error";
      clear(status);
      if (!err.lines) throw err;
      status.append(...err.lines().map((line) => h("div", {}, line)));
      if (err.status === 409 && err.code === "review-conflict") {
        overriding = true;
        reasonField.hidden = false;
        status.append(h("div", {}, "To change the decision, give a reason and choose again."));
        reasonField.querySelector("textarea").focus();
      }
    }
  });
  return form;
}

/**
 * Renders the match `view` (GET /v1/matches/{id}) into `container`; `records` is a promise of
 * [alertResult, observationResult]; `onReview` submits a review.
 */
export function renderDetail(container, view, records, onReview, { now = Date.now(), flash = null } = {}) {
  clear(container);
  const m = view.match;
  const obsWord = fmt.words(view.observation ? view.observation.type : "observation");
  const due = fmt.deadline(m.review_due_at, now);
  const open = m.status === "proposed" && !m.decision;
  const mapBox = h("div", { class: "map-box" });
  const recordsBox = h("div", { class: "records-box", "aria-busy": "true" },
    h("p", { class: "muted" }, "Reading the alert and the observation from intake…"));
  const travel = view.travel || {};

  container.append(
    h("header", { class: "detail-head" },
      h("h2", { id: "detail-heading", tabindex: "-1" },
        h("span", { class: "score-big" }, fmt.score(m.score)), " ",
        view.alert ? fmt.words(view.alert.category) : "Match", " · ", obsWord),
      h("div", { class: "badges" }, badges(m)),
      h("p", { class: "meta" },
        `Proposed ${fmt.when(m.first_proposed_at)} (${fmt.ago(m.first_proposed_at, now)})`,
        open ? h("span", { class: `due${due.overdue ? " overdue" : due.soon ? " soon" : ""}` }, ` · ${due.text} (${fmt.when(m.review_due_at)})`) : null,
        ` · revision ${m.revision} · engine ${m.engine_version}`,
        view.alert ? ` · issued by ${view.alert.issuing_authority.id} (${view.alert.issuing_authority.country})` : null),
      [fmt.km(travel.distance_km), fmt.days(travel.days)].some(Boolean)
        ? h("p", { class: "meta" }, `${fmt.place(view.alert && view.alert.last_seen)} → ${fmt.place(view.observation && view.observation.seen)}: `,
            [fmt.km(travel.distance_km), fmt.days(travel.days) && `${fmt.days(travel.days)} later`].filter(Boolean).join(", "))
        : null),
    h("div", { class: "detail-grid" },
      h("section", { class: "panel map-panel", "aria-labelledby": "map-heading" },
        h("h3", { id: "map-heading" }, "Where and when"), mapBox),
      h("section", { class: "panel explanation-panel", "aria-labelledby": "explanation-heading" },
        h("h3", { id: "explanation-heading" }, "Why the correlator proposes it"),
        explanation(m.explanation, m.score))),
    h("section", { class: "panel", "aria-labelledby": "records-heading" },
      h("h3", { id: "records-heading" }, `Alert and ${obsWord.toLowerCase()} side by side`),
      h("p", { class: "muted small" }, "Read from intake with your token; intake records every read."),
      recordsBox),
    h("section", { class: "panel review-panel", "aria-labelledby": "review-heading" },
      h("h3", { id: "review-heading" }, m.decision ? `Decision: ${fmt.words(m.decision)}` : "Decision"),
      reviewsList(view.reviews),
      flash && m.decision ? h("p", { class: "form-status ok", role: "status" }, flash) : null,
      m.status === "withdrawn"
        ? h("p", { class: "notice warn" },
            `The correlator withdrew this proposal${withdrawalReason(m)}: there is nothing to decide.`)
        : m.decision
          ? h("details", { class: "change-decision" },
              h("summary", {}, "Change the decision"), reviewForm(view, onReview, null))
          : reviewForm(view, onReview, flash)),
  );
  const mapDrawn = drawMap(mapBox, view);
  records.then(([alertResult, obsResult]) => {
    clear(recordsBox).append(...recordsTable(view, alertResult, obsResult, obsWord).filter(Boolean));
    recordsBox.removeAttribute("aria-busy");
  });
  return mapDrawn;
}
