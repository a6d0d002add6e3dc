// The matches on screen: the queue as GET /v1/matches gave it, kept current by notifications.
// Merging is order-proof: an older revision never overwrites a newer one, escalation and a
// decision once known stay known, so a replay of old notifications changes nothing.

export function isOpen(view) {
  return view.match.status === "proposed" && !view.match.decision;
}

/** Escalated open first, then open before closed, then higher score, then older (as the API). */
export function urgency(a, b) {
  const ma = a.match;
  const mb = b.match;
  const key = (m, v) => [m.escalated && isOpen(v) ? 0 : 1, isOpen(v) ? 0 : 1];
  const [ea, oa] = key(ma, a);
  const [eb, ob] = key(mb, b);
  if (ea !== eb) return ea - eb;
  if (oa !== ob) return oa - ob;
  const sa = ma.score || 0;
  const sb = mb.score || 0;
  if (sa !== sb) return sb - sa;
  return String(ma.first_proposed_at).localeCompare(String(mb.first_proposed_at));
}

function merged(current, next, kind) {
  const c = current.match;
  const n = { ...next.match };
  if (kind === "match.escalated") n.escalated = true;
  if (kind === "match.confirmed") n.decision = n.decision || "confirmed";
  if (kind === "match.withdrawn") n.status = "withdrawn";
  if (n.revision < c.revision) {
    return { ...current, match: { ...c, escalated: c.escalated || (kind === "match.escalated") } };
  }
  const match = {
    ...(n.revision > c.revision ? n : { ...c, ...n }),
    escalated: Boolean(c.escalated || n.escalated),
    decision: n.decision || c.decision || null,
    status: n.revision === c.revision && c.status === "withdrawn" ? "withdrawn" : n.status,
  };
  return {
    ...current,
    ...next,
    match,
    alert: next.alert || current.alert,
    observation: next.observation || current.observation,
    travel: next.travel || current.travel,
  };
}

export class MatchStore {
  constructor() {
    this.views = new Map();
    this.mode = "open"; // or "all"
    this.listedAt = 0; // the server's time of the queue we hold (ms since the epoch)
    this.truncated = false;
  }

  /** Replace everything with the queue read at `listedAt` (server time). */
  load(items, listedAt, truncated) {
    this.views = new Map(items.map((v) => [v.match.match_id, v]));
    this.listedAt = listedAt;
    this.truncated = truncated;
  }

  get(id) {
    return this.views.get(id);
  }

  /**
   * Takes in one notification. Returns {view, added} when it changed what is shown (added:
   * a match new to the list), or null. A notification older than the queue about a match
   * the queue did not hold is dropped: the queue already says that match is not to be shown.
   */
  apply(kind, notification) {
    if (!notification || !notification.match) return null;
    const id = notification.match.match_id;
    const current = this.views.get(id);
    const { id: _nid, seq: _seq, kind: _kind, subscription_id: _sub, supersedes: _sup,
      created_at: createdAt, ...view } = notification;
    if (!current) {
      const made = Date.parse(createdAt || "");
      if (!Number.isNaN(made) && made < this.listedAt) return null;
      const fresh = merged({ match: { ...view.match, revision: 0 } }, view, kind);
      if (this.mode === "open" && !isOpen(fresh)) return null;
      this.views.set(id, fresh);
      return { view: fresh, added: true };
    }
    const next = merged(current, view, kind);
    this.views.set(id, next);
    return { view: next, added: false };
  }

  /** Our own review was recorded: the match leaves the open queue. */
  decided(id, decision) {
    const current = this.views.get(id);
    if (!current) return;
    this.views.set(id, { ...current, match: { ...current.match, decision } });
  }

  /** What the list shows, most urgent first. Open mode drops decided matches; withdrawn ones
   * stay, marked, until the next reload. */
  shown() {
    const all = [...this.views.values()];
    const kept = this.mode === "open" ? all.filter((v) => !v.match.decision) : all;
    return kept.sort(urgency);
  }
}
