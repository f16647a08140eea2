// An instance killed under load (issue 8, bench point 8; reported, no goal): a gateway with its
// default health settings forwards to 3 instances of the fastify echo backend while the load
// generator runs for `killLoad` s; after `killAfter` s the harness SIGKILLs one of them (a
// backend started for this figure only). A raw `/events` reader on the gateway timestamps the
// victim's `app_health_changed` events in the harness: the time from the kill to `ejected`
// (passive: failed calls in a row) and to `unhealthy` (active: failed checks in a row). After
// the load the harness waits for the active mark at most `waitMs`. Reported: what the load
// generator saw (requests, errors, non-2xx), both times, and the victim as the gateway lists it.
import { setTimeout as sleep } from "node:timers/promises";
import { request } from "undici";
import { measure } from "./load.js";
import { startServer } from "./procs.js";
import { openEvents } from "./sse.js";
import { BACKEND, BODY, verify } from "./setup.js";
import { round } from "./stats.js";

/** Long enough for 2 failed checks 5 s apart, each with its 1 s timeout (the defaults). */
const WAIT_MS = 14_000;

/** The victim's instance as `list_apps_with_schemas` shows it. */
async function listed(gatewayUrl, url) {
  const res = await request(`${gatewayUrl}/list_apps_with_schemas`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  const { apps } = await res.body.json();
  const app = apps.find((a) => a.name === "echoer");
  return app?.instances?.find((i) => i.url === url) ?? null;
}

/**
 * `o`: { backends: [{ url }] (two that stay up), gatewayScript, load, connections, killLoad,
 * killAfter, wrkThreads, procs, log }. Throws on failure (instances.js turns it into
 * { status: "error" }).
 */
export async function instanceKillFigures(o) {
  const victim = await startServer("backend (to be killed)", BACKEND);
  o.procs.push(victim.child);
  const urls = [...o.backends.map((b) => b.url), victim.url];
  const gw = await startServer("portico gateway (kill figure)", o.gatewayScript, [
    "--backend",
    urls.join(","),
  ]);
  o.procs.push(gw.child);
  const target = `${gw.url}/echoer/echo`;
  for (let k = 0; k < 6; k++) await verify(target);
  const events = [];
  let killedAt = null;
  let marked = null;
  const unhealthy = new Promise((resolve) => (marked = resolve));
  const stream = await openEvents(gw.url, {
    timeoutMs: 5000,
    onEvent: ({ event, data, at }) => {
      if (event !== "app_health_changed" || data?.url !== victim.url) return;
      events.push({ health: data.health, at, last_error: data.last_error ?? null });
      if (data.health === "unhealthy") marked();
    },
  });
  try {
    const load = { ...o.load, url: target, connections: o.connections, body: BODY };
    await measure({ ...load, duration: 1, wrkThreads: o.wrkThreads }); // warm-up
    const running = measure({ ...load, duration: o.killLoad, wrkThreads: o.wrkThreads });
    await sleep(o.killAfter * 1000);
    victim.child.kill("SIGKILL");
    killedAt = performance.now();
    const res = await running;
    const left = WAIT_MS - (performance.now() - killedAt);
    if (left > 0) await Promise.race([unhealthy, sleep(left)]);
    const after = (health) => {
      const e = events.find((x) => x.health === health && x.at >= killedAt);
      return e ? round(e.at - killedAt, 1) : null;
    };
    return {
      instances: 3,
      gateway_options: "defaults (least-in-flight; active checks every 5 s; passive ejection)",
      load_s: o.killLoad,
      killed_after_s: o.killAfter,
      connections: o.connections,
      requests: res.requests,
      rps: round(res.rps, 1),
      errors: res.errors,
      non2xx: res.non2xx,
      socket_errors: res.errors - res.non2xx,
      ejected_after_ms: after("ejected"),
      unhealthy_after_ms: after("unhealthy"),
      waited_ms: WAIT_MS,
      events: events.map((e) => ({
        health: e.health,
        after_kill_ms: round(e.at - killedAt, 1),
        last_error: e.last_error,
      })),
      victim_listed: await listed(gw.url, victim.url),
    };
  } finally {
    stream.close();
  }
}
