// Figures beyond gateway throughput (issue points 2-4). The client figure runs now for
// undici.request and fetch, and for the Portico typed client once bench/lib/portico.js can
// create one. Discovery and launch figures are placeholders with their final JSON shape.
import { median } from "./stats.js";
import { runSequential } from "./load.js";

export const CLIENT_MODES = [
  { key: "portico_client", mode: "portico", label: "Portico typed client" },
  { key: "undici_request", mode: "undici-request", label: "undici.request" },
  { key: "fetch", mode: "fetch", label: "global fetch" },
];

/**
 * Sequential calls (one at a time) on the same endpoint, the three clients interleaved for
 * `rounds` rounds; per-call microseconds are the medians of the per-round figures.
 */
export async function clientFigures({ url, body, rounds, calls, warmup, log }) {
  const perRound = Object.fromEntries(CLIENT_MODES.map((m) => [m.key, []]));
  const errors = {};
  for (let r = 0; r < rounds; r++) {
    for (const m of CLIENT_MODES) {
      if (errors[m.key]) continue;
      try {
        const raw = await runSequential({ mode: m.mode, url, body, warmup, calls }, 60_000);
        perRound[m.key].push(raw);
        log(`  client ${m.label.padEnd(22)} round ${r + 1}: ${raw.p50_us.toFixed(1)} us/call`);
      } catch (err) {
        errors[m.key] = String(err.message ?? err).split("\n")[0];
        log(`  client ${m.label.padEnd(22)} unavailable: ${errors[m.key]}`);
      }
    }
  }
  const figures = { endpoint: url, calls_per_round: calls, rounds, clients: {} };
  for (const m of CLIENT_MODES) {
    const runs = perRound[m.key];
    figures.clients[m.key] = errors[m.key]
      ? { label: m.label, error: errors[m.key], per_call_us: null }
      : {
          label: m.label,
          per_call_us: median(runs.map((x) => x.p50_us)),
          mean_us: median(runs.map((x) => x.mean_us)),
          p99_us: median(runs.map((x) => x.p99_us)),
          errors: runs.reduce((s, x) => s + x.errors, 0),
        };
  }
  return figures;
}

const PENDING = "needs the Portico core (bench/lib/portico.js); not measured yet";

/** Placeholder for issue point 3, in the shape the real measurement will fill. */
export function discoveryFigures() {
  const perApps = (apps) => ({
    apps,
    endpoints_per_app: 20,
    list_apps_with_schemas_ms: null,
    list_apps_with_schemas_bytes: null,
    gateway_connect_ms: null,
    forward_rps: null,
  });
  return {
    status: "pending",
    note: PENDING,
    register_to_first_call_ms: null,
    by_app_count: { 1: perApps(1), 100: perApps(100), 1000: perApps(1000) },
  };
}

/** Placeholder for issue point 4: EchoService.launch() until Available, median of 10. */
export function launchFigures() {
  return { status: "pending", note: PENDING, runs: 10, samples_ms: [], median_ms: null };
}
