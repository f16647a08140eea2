// Harness setup steps: the benchmark body, the echo check every contender must pass, starting
// the contenders (failures become error rows), and the endpoint used for the client figures.
import { fileURLToPath } from "node:url";
import { startServer } from "./procs.js";

export const BODY = JSON.stringify({ message: "hello world from the benchmark", delay: 0 });
export const EXPECTED = JSON.stringify({ echoed: "hello world from the benchmark" });
export const BACKEND = fileURLToPath(new URL("../servers/backend.js", import.meta.url));
const firstLines = (err, n) =>
  String(err.message ?? err)
    .split("\n")
    .slice(0, n)
    .join(" | ");

/** POST the benchmark body once (with `extra` headers) and check the echo answer. */
export async function verify(url, extra = {}) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  try {
    const headers = { "content-type": "application/json", ...extra };
    const res = await fetch(url, { method: "POST", headers, body: BODY, signal: abort.signal });
    const text = await res.text();
    if (res.status !== 200 || JSON.stringify(JSON.parse(text)) !== EXPECTED) {
      throw new Error(`unexpected answer ${res.status} ${text.slice(0, 200)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Start and verify each contender; failures become error rows unless selected with --only.
 * Resolves to { contenders (for the results), urls, targets: { [name]: { url, headers, pids,
 * backendPids, storePids } } } where `backend` ({ child }) is the shared backend process and
 * `shared` the run's shared resources (bench/lib/shared.js).
 */
export async function startContenders(selected, backend, opts, log, shared) {
  const backendUrl = backend.url;
  const contenders = {};
  const urls = {};
  const targets = {};
  for (const c of selected) {
    const skip = c.available?.();
    if (skip) {
      contenders[c.name] = { label: c.label, status: "skipped", note: skip };
      log(`SKIPPED ${c.name.padEnd(14)} ${skip}`);
      continue;
    }
    try {
      const started = await c.start({ backendUrl, startServer, shared });
      const url = `${started.url}${c.path}`;
      await verify(url, c.headers);
      urls[c.name] = url;
      targets[c.name] = {
        url,
        headers: c.headers ?? {},
        pids: started.pids ?? [],
        backendPids: started.backendPids ?? [backend.child.pid],
        storePids: started.storePids ?? [],
      };
      contenders[c.name] = { label: c.label, status: "ok", url, note: c.note };
      // Header names only: values may be tokens.
      if (c.headers) contenders[c.name].sends_headers = Object.keys(c.headers);
      log(`started ${c.name.padEnd(14)} ${urls[c.name]}`);
    } catch (err) {
      if (opts.only) throw new Error(`contender ${c.name} (selected with --only): ${err.message}`);
      contenders[c.name] = { label: c.label, status: "error", error: firstLines(err, 2) };
      log(`ERROR   ${c.name.padEnd(14)} ${contenders[c.name].error}`);
    }
  }
  return { contenders, urls, targets };
}

/** Endpoint for the client figures: a Portico EchoService, so that its typed client can connect. */
export async function clientEndpoint(backendUrl, opts, log) {
  if (opts.backend === "portico") return { url: `${backendUrl}/echo`, impl: "portico" };
  try {
    const echo = await startServer("portico echo backend", BACKEND, ["--impl", "portico"]);
    await verify(`${echo.url}/echo`);
    return { url: `${echo.url}/echo`, impl: "portico" };
  } catch (err) {
    log(`no Portico EchoService for the client figures (${firstLines(err, 1)})`);
    return { url: `${backendUrl}/echo`, impl: opts.backend };
  }
}
