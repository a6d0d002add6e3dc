// The dashboard's logic without a browser (node --test): the SSE parser, the resume with
// Last-Event-ID, and how the queue merges notifications. Run by tests/e2e/test_dashboard_scripts.py.

import assert from "node:assert/strict";
import { test } from "node:test";

import { MatchStore } from "../../../services/notifier/static/js/store.js";
import { NotificationStream, SseParser } from "../../../services/notifier/static/js/stream.js";

const bytes = (text) => new TextEncoder().encode(text);

test("the parser joins events split anywhere, CRLF included, and skips heartbeats", () => {
  const events = [];
  const retries = [];
  const parser = new SseParser((e) => events.push(e), (ms) => retries.push(ms));
  const wire = "retry: 2000\r\n\r\n: heartbeat\n\nid: 7\nevent: match.proposed\ndata: {\"a\":\r\ndata: 1}\r\n\r\nid: 8\ndata: x\n\n";
  for (let i = 0; i < wire.length; i += 3) parser.push(bytes(wire.slice(i, i + 3)));
  assert.deepEqual(retries, [2000]);
  assert.deepEqual(events, [
    { id: "7", event: "match.proposed", data: "{\"a\":\n1}" },
    { id: "8", event: "message", data: "x" },
  ]);
});

function view(id, revision, extra = {}) {
  return {
    match: {
      match_id: id, revision, status: "proposed", score: 0.8, explanation: [],
      first_proposed_at: "2025-04-21T10:00:00Z", review_due_at: "2025-04-21T22:00:00Z",
      escalated: false, decision: null, ...extra,
    },
  };
}

function note(kind, v, createdAt = "2030-01-01T00:00:00Z") {
  return { id: "n", seq: 1, kind, subscription_id: null, supersedes: null, created_at: createdAt, ...v };
}

test("merging is order-proof: older revisions, replays and flags never undo what is known", () => {
  const store = new MatchStore();
  store.load([view("m1", 2, { escalated: true })], Date.parse("2029-01-01T00:00:00Z"), false);
  store.apply("match.proposed", note("match.proposed", view("m1", 1)));
  assert.equal(store.get("m1").match.revision, 2);
  assert.equal(store.get("m1").match.escalated, true);
  store.apply("match.proposed", note("match.proposed", view("m1", 2)));
  assert.equal(store.get("m1").match.escalated, true, "a replayed proposal keeps the flag");
  store.apply("match.withdrawn", note("match.withdrawn", view("m1", 3, { status: "withdrawn" })));
  assert.equal(store.get("m1").match.status, "withdrawn");
  assert.deepEqual(store.shown().map((v) => v.match.match_id), ["m1"], "withdrawn stays, marked");
});

test("the open queue: new matches join by urgency, confirmed ones leave, stale ones stay out", () => {
  const store = new MatchStore();
  store.load([view("low", 1, { score: 0.6 })], Date.parse("2029-01-01T00:00:00Z"), false);
  assert.ok(store.apply("match.proposed", note("match.proposed", view("high", 1, { score: 0.9 }))).added);
  store.apply("match.escalated", note("match.escalated", view("low", 1, { score: 0.6, escalated: true })));
  assert.deepEqual(store.shown().map((v) => v.match.match_id), ["low", "high"], "escalated first");
  store.apply("match.confirmed", note("match.confirmed", view("high", 1, { decision: "confirmed" })));
  assert.deepEqual(store.shown().map((v) => v.match.match_id), ["low"]);
  const stale = note("match.proposed", view("old", 1), "2028-01-01T00:00:00Z");
  assert.equal(store.apply("match.proposed", stale), null, "older than the queue: already judged");
});

test("after a drop the stream reconnects with the last id it received", async () => {
  const asked = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (_url, options) => {
    asked.push(options.headers["Last-Event-ID"] ?? null);
    const body = asked.length === 1
      ? "retry: 1\n\nid: 41\nevent: match.proposed\ndata: {\"match\":{}}\n\nid: 42\nevent: match.proposed\ndata: {\"match\":{}}\n\n"
      : "";
    return new Response(new ReadableStream({
      start(controller) {
        if (body) controller.enqueue(bytes(body));
        controller.close();
      },
    }), { status: 200, headers: { "Content-Type": "text/event-stream" } });
  };
  try {
    const seen = [];
    const api = { headers: (extra) => ({ Authorization: "Bearer t", ...extra }), onUnauthorized() {} };
    const stream = new NotificationStream({
      api, lastEventId: "0", onEvent: (kind, _n, seq) => seen.push([kind, seq]),
    });
    stream.start();
    for (let i = 0; i < 100 && asked.length < 2; i += 1) await new Promise((r) => setTimeout(r, 50));
    stream.stop();
    assert.deepEqual(seen, [["match.proposed", "41"], ["match.proposed", "42"]]);
    assert.deepEqual(asked.slice(0, 2), [null, "42"]);
  } finally {
    globalThis.fetch = realFetch;
  }
});
