// Calls to the notifier's API with the signed-in token; refusals become ApiError carrying the
// problem+json body (RFC 9457) so the page can say what went wrong in words.

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** The problem type's last path segment, e.g. "review-conflict", "stale", "forbidden". */
  get code() {
    const type = this.problem.type || "";
    return type.slice(type.lastIndexOf("/") + 1);
  }

  /** Title, detail and each failing field, as lines for the user. */
  lines() {
    const p = this.problem;
    const out = [`${p.title || "Error"} (${this.status})${p.detail ? `: ${p.detail}` : ""}`];
    for (const e of p.errors || []) out.push(`${e.pointer || "/"}: ${e.detail}`);
    return out;
  }
}

async function problemOf(response) {
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try {
      const body = await response.json();
      if (body && typeof body === "object") return body;
    } catch {
      // not JSON after all: fall through to a generic problem
    }
  }
  return { title: response.statusText || "Error", detail: `The server answered ${response.status}.` };
}

export class Api {
  constructor(token, { onUnauthorized } = {}) {
    this.token = token;
    this.onUnauthorized = onUnauthorized || (() => {});
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, Accept: "application/json", ...extra };
  }

  async request(method, path, { body, headers, signal } = {}) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: this.headers(body === undefined ? headers : { "Content-Type": "application/json", ...headers }),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
        credentials: "omit",
      });
    } catch (err) {
      if (err.name === "AbortError") throw err;
      throw new ApiError(0, {
        title: "No connection",
        detail: "The notifier could not be reached; check the network and try again.",
      });
    }
    if (response.status === 401) this.onUnauthorized();
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    if (response.status === 204) return null;
    return response.json();
  }

  get(path, options) {
    return this.request("GET", path, options);
  }

  post(path, body, options = {}) {
    return this.request("POST", path, { ...options, body });
  }
}

/** The token's claims (organisation, kind, expiry) to show who is signed in; not verified
 * here: the server verifies every call. */
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(part + "=".repeat((4 - (part.length % 4)) % 4));
    const out = JSON.parse(json);
    return out && typeof out === "object" ? out : null;
  } catch {
    return null;
  }
}
