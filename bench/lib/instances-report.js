// Printing and targets of the instance figures (issue 8; bench/lib/instances.js).
import { fmt, table } from "./stats.js";

const status = (f) => `${f?.status ?? "n/a"} (${f?.error ?? f?.note ?? ""})`;

/** The targets for these figures, as [id, description, value, op?, threshold?] rows. */
export function instanceTargets(instances = {}) {
  const b = instances.balance?.status === "ok" ? instances.balance : null;
  const h = instances.health_checks?.status === "ok" ? instances.health_checks : null;
  const k = instances.kill?.status === "ok" ? instances.kill : null;
  const apps = h?.apps ?? 1000;
  return [
    [
      "instances_3_vs_1_c32",
      "forwarding rps 3 instances/1 @32, least-in-flight (the default), 3 ports of 1 backend",
      b?.ratios.least_in_flight.rps_3_vs_1 ?? null,
      ">=",
      0.97,
    ],
    [
      "instances_3_vs_1_paired_c32",
      "the same, median of per-round pairs (reported only)",
      b?.ratios.least_in_flight.rps_3_vs_1_paired ?? null,
    ],
    [
      "instances_3_vs_1_cpu_c32",
      "gateway CPU per request 3 instances/1 @32, least-in-flight (reported only)",
      b?.ratios.least_in_flight.cpu_3_vs_1 ?? null,
    ],
    [
      "instances_3_vs_1_round_robin_c32",
      "forwarding rps 3 instances/1 @32, round-robin (reported only)",
      b?.ratios.round_robin.rps_3_vs_1 ?? null,
    ],
    [
      "instances_3_processes_vs_1_c32",
      "forwarding rps 3 backend processes on one core/1 @32 (reported only)",
      b?.ratios.processes.rps_3_vs_1 ?? null,
    ],
    [
      "health_checks_on_vs_off_c32",
      `forwarding rps with ${apps} apps checked every 5 s/checks off @32`,
      h?.rps_on_vs_off ?? null,
      ">=",
      0.95,
    ],
    [
      "health_checks_on_vs_off_paired_c32",
      "the same, median of per-round pairs (reported only)",
      h?.rps_on_vs_off_paired ?? null,
    ],
    [
      "health_checks_cpu_on_vs_off_c32",
      "gateway CPU per forwarded request, checks on/off @32 (reported only)",
      h?.cpu_on_vs_off ?? null,
    ],
    ["kill_errors", "instance killed under load: errors seen (reported only)", k?.errors ?? null],
    [
      "kill_ejected_ms",
      "instance killed under load: ms until ejected, passive (reported only)",
      k?.ejected_after_ms ?? null,
    ],
    [
      "kill_unhealthy_ms",
      "instance killed under load: ms until unhealthy, active checks (reported only)",
      k?.unhealthy_after_ms ?? null,
    ],
  ];
}

function printBalance(b, log) {
  if (b?.status !== "ok") return log(`\ninstances, 3 vs 1: ${status(b)}`);
  const rows = [["instances", "req/s", "p50 ms", "p99 ms", "cpu us/req", "backend us/req"]];
  rows[0].push("spread", "x 1 instance");
  for (const [key, r] of Object.entries(b.by_variant)) {
    const vs = key === "one" ? 1 : b.ratios[key]?.rps_3_vs_1;
    rows.push([r.label, fmt(r.rps), fmt(r.p50_ms, 3), fmt(r.p99_ms, 3), fmt(r.cpu_us_per_req, 1)]);
    rows.at(-1).push(fmt(r.backend_cpu_us_per_req, 1), (r.shares ?? []).join("/"));
    rows.at(-1).push(fmt(vs, 3));
  }
  log(`\ninstances, 3 vs 1 (echo backends on one core; ${b.cpu_pinning}):\n${table(rows)}`);
  const line = (key) => {
    const r = b.ratios[key];
    return `${fmt(r.rps_3_vs_1, 3)} (pairs ${fmt(r.rps_3_vs_1_paired, 3)}; gateway CPU ${fmt(r.cpu_3_vs_1, 3)})`;
  };
  log(
    `3/1 in req/s: 3 ports least-in-flight ${line("least_in_flight")}, round-robin ` +
      `${line("round_robin")}; 3 processes ${line("processes")}. spread: each instance's share of ` +
      "the requests",
  );
}

function printHealth(h, log) {
  if (h?.status !== "ok") return log(`\nhealth checks: ${status(h)}`);
  const rows = [["checks", "req/s", "p50 ms", "p99 ms", "cpu us/req", "checked svc us/req"]];
  rows[0].push("heartbeats/s");
  for (const [key, r] of Object.entries(h.by_mode)) {
    rows.push([key, fmt(r.rps), fmt(r.p50_ms, 3), fmt(r.p99_ms, 3), fmt(r.cpu_us_per_req, 1)]);
    rows.at(-1).push(fmt(r.checked_service_cpu_us_per_req, 2), fmt(r.heartbeats_per_s));
  }
  log(
    `\nhealth checks of ${h.apps} apps every ${h.interval_ms / 1000} s (${h.check}; ` +
      `expected ${fmt(h.expected_heartbeats_per_s)} heartbeats/s):\n${table(rows)}`,
  );
  const seen = h.instances_after_last_on_round;
  const healthy = seen ? `; after the last round ${seen.healthy}/${seen.instances} healthy` : "";
  log(
    `on/off: ${fmt(h.rps_on_vs_off, 3)} in req/s (pairs ${fmt(h.rps_on_vs_off_paired, 3)}), ` +
      `${fmt(h.cpu_on_vs_off, 3)} in gateway CPU per request${healthy}; about ` +
      `${fmt(h.approx_gateway_cpu_us_per_check)} us of gateway CPU per check, ` +
      `${fmt(h.approx_checked_service_cpu_us_per_check)} us of the checked service's ` +
      `(on ${h.checked_service_cpu})`,
  );
}

function printKill(k, log) {
  if (k?.status !== "ok") return log(`\ninstance killed under load: ${status(k)}`);
  const ms = (v) => (v === null ? `not within ${k.waited_ms} ms` : `${fmt(v, 1)} ms`);
  log(
    `\ninstance killed under load (SIGKILL 1 of ${k.instances} after ${k.killed_after_s} s of ` +
      `${k.load_s} s @${k.connections}, ${k.gateway_options}):\n` +
      `  ${k.requests} requests (${fmt(k.rps)} req/s), ${k.errors} errors (non-2xx ${k.non2xx}, ` +
      `socket ${k.socket_errors}); ejected after ${ms(k.ejected_after_ms)}, marked unhealthy ` +
      `after ${ms(k.unhealthy_after_ms)}; events: ` +
      (k.events.map((e) => `${e.health} +${fmt(e.after_kill_ms, 0)} ms`).join(", ") || "none"),
  );
}

/** The three instance figures. */
export function printInstances(instances, log) {
  if (!instances) return;
  printBalance(instances.balance, log);
  printHealth(instances.health_checks, log);
  printKill(instances.kill, log);
}
