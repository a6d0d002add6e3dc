// The live feed: Server-Sent Events read with fetch() (EventSource cannot send the bearer
// token), parsed line by line as the SSE standard says, resumed with Last-Event-ID after any
// drop so that nothing delivered meanwhile is missed.

const PATH = "/v1/notifications/stream";
const SILENCE_MS = 45000; // no byte (not even a heartbeat) for this long: the link is dead
const MAX_DELAY_MS = 30000;

/** Splits a byte stream into SSE events: {id, event, data}. */
export class SseParser {
  constructor(onEvent, onRetry = () => {}) {
    this.onEvent = onEvent;
    this.onRetry = onRetry;
    this.decoder = new TextDecoder();
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.data = [];
    this.event = "";
    this.id = null;
  }

  push(bytes) {
    this.buffer += this.decoder.decode(bytes, { stream: true });
    let start = 0;
    for (;;) {
      const match = /\r\n|\r|\n/g;
      match.lastIndex = start;
      const found = match.exec(this.buffer);
      if (!found) break;
      // a lone CR at the very end may be the first half of CRLF: wait for the next chunk
      if (found[0] === "\r" && found.index === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, found.index));
      start = found.index + found[0].length;
    }
    this.buffer = this.buffer.slice(start);
  }

  line(text) {
    if (text === "") {
      if (this.data.length) {
        this.onEvent({ id: this.id, event: this.event || "message", data: this.data.join("\n") });
      }
      this.data = [];
      this.event = "";
      return;
    }
    if (text.startsWith(":")) return; // a comment: the server's heartbeat
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.onRetry(Number(value));
  }
}

export class NotificationStream {
  /**
   * @param api       an Api (for the token and the 401 handler)
   * @param lastEventId where to resume ("0" for everything the organisation was sent)
   * @param onEvent   called with (kind, notification, seq) for each event, in order
   * @param onStatus  called with ("connecting" | "live" | "reconnecting" | "stopped", detail)
   */
  constructor({ api, lastEventId, onEvent, onStatus }) {
    this.api = api;
    this.lastEventId = lastEventId || "0";
    this.onEvent = onEvent;
    this.onStatus = onStatus || (() => {});
    this.retryMs = 2000;
    this.controller = null;
    this.stopped = false;
    this.wake = null;
  }

  start() {
    this.stopped = false;
    this.loop();
  }

  stop() {
    this.stopped = true;
    if (this.controller) this.controller.abort();
    this.onStatus("stopped");
  }

  /** Reconnect now rather than after the back-off (the network came back). */
  retryNow() {
    if (this.wake) this.wake();
  }

  /** Drop the connection now (the loop reconnects with Last-Event-ID). */
  drop() {
    if (this.controller) this.controller.abort();
  }

  async loop() {
    let attempt = 0;
    while (!this.stopped) {
      this.onStatus(attempt ? "reconnecting" : "connecting");
      let reason = "";
      try {
        await this.connect(() => {
          attempt = 0;
        });
        reason = "The server closed the stream.";
      } catch (err) {
        if (this.stopped) return;
        if (err.unauthorized) return; // the page signs out
        reason = err.name === "AbortError" ? "The connection went silent." : err.message;
      }
      if (this.stopped) return;
      attempt += 1;
      const backoff = Math.min(MAX_DELAY_MS, this.retryMs * 2 ** Math.min(attempt - 1, 5));
      const delay = Math.round(backoff / 2 + (Math.random() * backoff) / 2);
      this.onStatus("reconnecting", { delay, reason });
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  async connect(onOpen) {
    this.controller = new AbortController();
    const controller = this.controller;
    const headers = this.api.headers({ Accept: "text/event-stream" });
    if (this.lastEventId && this.lastEventId !== "0") headers["Last-Event-ID"] = this.lastEventId;
    let watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      const response = await fetch(PATH, {
        headers,
        signal: controller.signal,
        cache: "no-store",
        credentials: "omit",
      });
      if (response.status === 401) {
        this.api.onUnauthorized();
        throw Object.assign(new Error("unauthorized"), { unauthorized: true });
      }
      if (!response.ok || !response.body) throw new Error(`The stream answered ${response.status}.`);
      this.onStatus("live");
      onOpen();
      const parser = new SseParser(
        (event) => this.dispatch(event),
        (ms) => {
          this.retryMs = Math.max(500, ms);
        },
      );
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
        parser.push(value);
      }
    } finally {
      clearTimeout(watchdog);
    }
  }

  dispatch(event) {
    let notification;
    try {
      notification = JSON.parse(event.data);
    } catch {
      return; // not ours to show; the id is still taken below so we do not ask for it again
    } finally {
      if (event.id !== null) this.lastEventId = event.id;
    }
    this.onEvent(event.event, notification, this.lastEventId);
  }
}
