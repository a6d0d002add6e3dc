// The dashboard: sign in with a token, the queue of matches kept live over SSE, one match in
// full, and its review. Nothing here writes a record's content (names, birth dates) to the
// console; errors are shown on the page as the API words them.

import { Api, ApiError, claims } from "./api.js";
import { $, clear, h } from "./dom.js";
import { renderDetail } from "./detail.js";
import { renderList } from "./list.js";
import { MatchStore } from "./store.js";
import { NotificationStream } from "./stream.js";
import * as fmt from "./format.js";

const TOKEN_KEY = "kinlink.token";
const SEQ_KEY = "kinlink.lastEventId";
const QUEUE_LIMIT = 200;
const NEW_FOR_MS = 8000;

const state = {
  api: null,
  store: new MatchStore(),
  stream: null,
  selectedId: null,
  detailToken: 0,
  fresh: new Set(),
  renderQueued: false,
  ticker: null,
};

// -- signing in and out ------------------------------------------------------------------

function showSignIn(message) {
  $("#app").hidden = true;
  $("#session").hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message || "";
  $("#token").focus();
}

async function signIn(token) {
  const api = new Api(token, { onUnauthorized: () => signOut("Your token was refused or has expired: sign in again.") });
  const status = $("#sign-in-error");
  status.textContent = "Checking the token…";
  try {
    await start(api);
    sessionStorage.setItem(TOKEN_KEY, token);
    $("#token").value = "";
  } catch (err) {
    state.api = null;
    status.textContent = err instanceof ApiError ? err.lines().join(" ") : "The dashboard could not start.";
  }
}

function signOut(message) {
  if (state.stream) state.stream.stop();
  state.stream = null;
  state.api = null;
  state.selectedId = null;
  clearInterval(state.ticker);
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(SEQ_KEY);
  state.store = new MatchStore();
  clear($("#matches"));
  clear($("#detail")).append(h("p", { class: "placeholder" }, "Choose a match in the list."));
  history.replaceState(null, "", location.pathname);
  showSignIn(message);
}

function describeCaller(token) {
  const c = claims(token);
  if (!c) return "Signed in";
  const kind = c.org_kind === "police" ? "police unit" : c.org_kind;
  return `${c.org} · ${kind}`;
}

// -- the queue ---------------------------------------------------------------------------

async function loadQueue() {
  const mode = state.store.mode;
  const response = await fetch(`/v1/matches?status=${mode}&limit=${QUEUE_LIMIT}`, {
    headers: state.api.headers(),
    cache: "no-store",
    credentials: "omit",
  });
  if (response.status === 401) state.api.onUnauthorized();
  if (!response.ok) {
    let problem = { title: "Error", detail: `The queue answered ${response.status}.` };
    try {
      problem = await response.json();
    } catch {
      // keep the generic problem
    }
    throw new ApiError(response.status, problem);
  }
  const body = await response.json();
  const listedAt = Date.parse(response.headers.get("Date") || "") || Date.now();
  state.store.load(body.items, listedAt - 1000, body.items.length >= QUEUE_LIMIT);
  scheduleRender();
}

function scheduleRender() {
  if (state.renderQueued) return;
  state.renderQueued = true;
  requestAnimationFrame(() => {
    state.renderQueued = false;
    render();
  });
}

function render() {
  const store = state.store;
  const views = store.shown();
  renderList($("#matches"), views, { selectedId: state.selectedId, fresh: state.fresh, onOpen: openMatch });
  $("#queue-title").textContent = store.mode === "open" ? "Open matches" : "All matches";
  $("#count").textContent = `(${views.length})`;
  $("#empty").hidden = views.length > 0;
  const c = claims(state.api ? state.api.token : "") || {};
  $("#empty").textContent = [
    store.mode === "open"
      ? "No open matches. New ones appear here as soon as the correlator proposes them."
      : "No matches yet.",
    c.org_kind === "investigator"
      ? "Investigators see the matches their organisation's subscriptions select."
      : "A police unit sees the matches on its own alerts.",
  ].join(" ");
  $("#queue-status").textContent = store.truncated
    ? `Showing the ${QUEUE_LIMIT} most urgent; decide some to see more.`
    : "";
}

function announce(text) {
  const region = $("#announce");
  region.textContent = "";
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

// -- live notifications ------------------------------------------------------------------

function onNotification(kind, notification, seq) {
  sessionStorage.setItem(SEQ_KEY, seq);
  const changed = state.store.apply(kind, notification);
  if (!changed) return;
  const id = changed.view.match.match_id;
  const live = Date.parse(notification.created_at || "") >= state.store.listedAt;
  if (changed.added && live) {
    state.fresh.add(id);
    setTimeout(() => {
      state.fresh.delete(id);
      scheduleRender();
    }, NEW_FOR_MS);
    const v = changed.view;
    announce(`New match, score ${fmt.score(v.match.score)}: ${fmt.place(v.alert && v.alert.last_seen)} to ${fmt.place(v.observation && v.observation.seen)}.`);
  } else if (live && kind === "match.escalated") {
    announce(`A match is overdue and escalated, score ${fmt.score(changed.view.match.score)}.`);
  }
  scheduleRender();
  if (id === state.selectedId && live) refreshDetail(id);
}

function onStreamStatus(status, detail) {
  const el = $("#live");
  el.className = `live is-${status}`;
  if (status === "live") el.textContent = "Live";
  else if (status === "connecting") el.textContent = "Connecting…";
  else if (status === "reconnecting") {
    el.textContent = detail ? `Reconnecting in ${Math.ceil(detail.delay / 1000)} s…` : "Reconnecting…";
  } else el.textContent = "Offline";
}

// -- one match ---------------------------------------------------------------------------

function readRecord(path) {
  return state.api.get(path).then(
    (record) => ({ ok: true, record }),
    (error) => ({
      ok: false,
      error: error instanceof ApiError ? error : new ApiError(0, { title: "Error", detail: "Not readable." }),
    }),
  );
}

async function openMatch(id, { focus = true } = {}) {
  state.selectedId = id;
  history.replaceState(null, "", `#match=${encodeURIComponent(id)}`);
  scheduleRender();
  const detail = $("#detail");
  const ticket = ++state.detailToken;
  detail.setAttribute("aria-busy", "true");
  clear(detail).append(h("p", { class: "muted" }, "Loading the match…"));
  let view;
  try {
    view = await state.api.get(`/v1/matches/${encodeURIComponent(id)}`);
  } catch (err) {
    if (ticket !== state.detailToken) return;
    detail.removeAttribute("aria-busy");
    clear(detail).append(h("div", { class: "notice error", role: "alert" },
      ...(err instanceof ApiError ? err.lines() : ["The match could not be loaded."]).map((l) => h("p", {}, l))));
    return;
  }
  if (ticket !== state.detailToken) return;
  const obs = view.observation;
  const unknown = (what) => Promise.resolve({
    ok: false,
    error: new ApiError(0, { title: "Not known yet", detail: `The notifier has not received the ${what} yet.` }),
  });
  const records = Promise.all([
    view.alert ? readRecord(`/v1/intake/alerts/${encodeURIComponent(view.alert.alert_id)}`) : unknown("alert"),
    obs ? readRecord(`/v1/intake/${obs.type}s/${encodeURIComponent(obs.id)}`) : unknown("observation"),
  ]);
  state.records = { id, records };
  showDetail(view, records, ticket, focus);
}

function showDetail(view, records, ticket, focus) {
  const detail = $("#detail");
  const flash = state.flash && state.flash.id === view.match.match_id ? state.flash.text : null;
  const drawn = renderDetail(detail, view, records, (decision, note, reason) => review(view, decision, note, reason), { flash });
  detail.removeAttribute("aria-busy");
  drawn.finally(() => {
    if (ticket === state.detailToken) detail.dataset.ready = view.match.match_id;
  });
  if (focus) $("#detail-heading").focus();
}

/** Something changed about the open match: read its summary again, keep the records read. */
async function refreshDetail(id) {
  if (!state.records || state.records.id !== id) return;
  const detail = $("#detail");
  if (detail.contains(document.activeElement) && document.activeElement.tagName === "TEXTAREA") return;
  const ticket = ++state.detailToken;
  try {
    const view = await state.api.get(`/v1/matches/${encodeURIComponent(id)}`);
    if (ticket === state.detailToken) showDetail(view, state.records.records, ticket, false);
  } catch {
    // the list already shows the change; the detail stays as it was
  }
}

async function review(view, decision, note, reason) {
  const m = view.match;
  const body = { decision, revision: m.revision };
  if (note) body.note = note;
  if (reason) body.override = { reason };
  const key = `${m.match_id}:${m.revision}:${decision}:${reason ? "override" : "plain"}:${state.reviewNonce}`;
  const result = await state.api.post(`/v1/matches/${encodeURIComponent(m.match_id)}/review`, body, {
    headers: { "Idempotency-Key": key },
  });
  state.reviewNonce = crypto.randomUUID();
  state.flash = { id: m.match_id, text: `${fmt.words(result.decision)}: recorded at ${fmt.when(result.at)}.` };
  state.store.decided(m.match_id, result.decision);
  scheduleRender();
  announce(`Match ${result.decision}.`);
  setTimeout(() => refreshDetail(m.match_id), 0);
  return result;
}

// -- start -------------------------------------------------------------------------------

async function start(api) {
  state.api = api;
  state.store = new MatchStore();
  state.store.mode = document.querySelector("input[name=mode]:checked").value;
  state.reviewNonce = crypto.randomUUID();
  await loadQueue();
  $("#sign-in").hidden = true;
  $("#app").hidden = false;
  $("#session").hidden = false;
  $("#who").textContent = describeCaller(api.token);
  state.stream = new NotificationStream({
    api,
    lastEventId: sessionStorage.getItem(SEQ_KEY) || "0",
    onEvent: onNotification,
    onStatus: onStreamStatus,
  });
  state.stream.start();
  clearInterval(state.ticker);
  state.ticker = setInterval(scheduleRender, 30000); // ages and deadlines move on
  const wanted = /^#match=([0-9a-f-]{36})$/.exec(location.hash);
  if (wanted) openMatch(wanted[1], { focus: false });
  else $("#main").focus();
}

function wire() {
  $("#sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("#token").value.trim().replace(/^Bearer\s+/i, "");
    if (!token) {
      $("#sign-in-error").textContent = "Paste your token first.";
      $("#token").focus();
      return;
    }
    signIn(token);
  });
  $("#sign-out").addEventListener("click", () => signOut("You are signed out."));
  for (const radio of document.querySelectorAll("input[name=mode]")) {
    radio.addEventListener("change", async () => {
      state.store.mode = radio.value;
      try {
        await loadQueue();
      } catch (err) {
        showBanner(err);
      }
    });
  }
  window.addEventListener("online", () => {
    if (state.stream) state.stream.retryNow();
  });
  window.addEventListener("offline", () => {
    if (state.stream) state.stream.drop();
  });
  $("#detail").addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || !state.selectedId) return;
    const back = document.querySelector(`#matches [data-match-id="${CSS.escape(state.selectedId)}"]`);
    if (back) back.focus();
  });
}

function showBanner(err) {
  const banner = $("#banner");
  banner.hidden = false;
  clear(banner).append(...(err instanceof ApiError ? err.lines() : ["Something went wrong."]).map((l) => h("p", {}, l)),
    h("button", { type: "button", class: "quiet", onclick: () => { banner.hidden = true; } }, "Dismiss"));
}

wire();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  start(new Api(saved, { onUnauthorized: () => signOut("Your token was refused or has expired: sign in again.") }))
    .catch((err) => signOut(err instanceof ApiError ? err.lines().join(" ") : "Sign in again."));
} else {
  showSignIn();
}
