// The service's HTTP API with the key kept in sessionStorage (gone when the tab closes), and the
// plan-version stream read with fetch, so the key travels in the Authorization header and never
// in a URL (EventSource cannot send headers).

const KEY = "dispatch-opt-key";

export const key = {
  get: () => sessionStorage.getItem(KEY),
  set: (k) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
  // the service's problems, one line each, with the field named
  lines() {
    const ps = this.body.problems || [];
    return ps.length ? ps.map((p) => p.message) : [this.message];
  }
}

export async function call(method, path, body, headers = {}) {
  const h = { Authorization: `Bearer ${key.get()}`, ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  const res = await fetch(path, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// Calls onVersion({board, version}) for every `version` event; reconnects with a growing pause.
// Returns a function that stops it.
export function stream(board, onVersion, onState) {
  let stopped = false;
  let ctrl = null;
  let pause = 500;
  async function run() {
    while (!stopped) {
      ctrl = new AbortController();
      try {
        const res = await fetch(`/v1/boards/${encodeURIComponent(board)}/stream`, {
          headers: { Authorization: `Bearer ${key.get()}`, Accept: "text/event-stream" },
          signal: ctrl.signal,
        });
        if (!res.ok) throw new ApiError(res.status, null);
        onState("live");
        pause = 500;
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let name = "message";
            const data = [];
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) name = line.slice(6).trim();
              else if (line.startsWith("data:")) data.push(line.slice(5).trim());
            }
            if (name === "version" && data.length) onVersion(JSON.parse(data.join("\n")));
          }
        }
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
          onState("refused");
          return;
        }
      }
      if (stopped) return;
      onState("reconnecting");
      await new Promise((r) => setTimeout(r, pause));
      pause = Math.min(pause * 2, 10000);
    }
  }
  run();
  return () => {
    stopped = true;
    if (ctrl) ctrl.abort();
  };
}
