// A raw server-sent-events reader for a gateway's GET /events (node:http, one socket of its own,
// no reconnect): the propagation figure's fallback subscriber and the fan-out figure's 1,000
// readers. Frames are `field: value` lines ended by a blank line; `: ping` comments are skipped.
// Each event is handed over with `at`, the performance.now() of the chunk that completed it.
import http from "node:http";

/** Parse the complete frames at the start of `text`; returns the unparsed rest. */
function parseFrames(text, at, onEvent) {
  let rest = text;
  for (let end = rest.indexOf("\n\n"); end !== -1; end = rest.indexOf("\n\n")) {
    const frame = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const event = { event: "message", id: null, data: null, at };
    for (const line of frame.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.event = value;
      else if (field === "id") event.id = value;
      else if (field === "data")
        event.data = event.data === null ? value : `${event.data}\n${value}`;
    }
    if (event.data !== null) onEvent(event);
  }
  return rest;
}

/**
 * Open `GET <gatewayUrl>/events` and resolve once its `ready` event arrived, to { revision,
 * close() }. `onEvent({ event, id, data, at })` sees every later event (and the replay, if
 * `since` is given); `data` is parsed JSON, or the raw text with `parse: false` (the fan-out's
 * 1,000 readers share one process: they skip the parse). Rejects on a status other than 200, an
 * error or `timeoutMs`.
 */
export function openEvents(gatewayUrl, o) {
  const { onEvent = () => {}, since, headers = {}, timeoutMs, parse = true } = o;
  const url = new URL("/events", gatewayUrl);
  if (since !== undefined) url.searchParams.set("since", String(since));
  return new Promise((resolve, reject) => {
    let readied = false;
    const req = http.get(url, {
      agent: false,
      headers: { accept: "text/event-stream", ...headers },
    });
    const close = () => req.destroy();
    const fail = (err) => {
      clearTimeout(timer);
      close();
      if (!readied) reject(err);
    };
    const timer = setTimeout(
      () => fail(new Error(`/events: no ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on("error", fail);
    req.on("response", (res) => {
      if (res.statusCode !== 200) {
        fail(new Error(`/events answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding("utf8");
      let buffered = "";
      res.on("data", (chunk) => {
        const at = performance.now();
        buffered = parseFrames(buffered + chunk, at, (ev) => {
          let data = ev.data;
          if (parse || ev.event === "ready") {
            try {
              data = JSON.parse(ev.data);
            } catch {
              data = ev.data;
            }
          }
          if (ev.event === "ready" && !readied) {
            readied = true;
            clearTimeout(timer);
            resolve({ revision: data?.revision ?? null, close });
            return;
          }
          if (readied || ev.event !== "ready") onEvent({ ...ev, data });
        });
      });
      res.on("error", fail);
    });
  });
}
