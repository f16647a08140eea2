// Small statistics and formatting helpers shared by the harness and the report.

/** Median of the finite numbers in `values`, or null when there are none. */
export function median(values) {
  const xs = values
    .filter((v) => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

/** a / b, or null when either is missing or b is zero. */
export function ratio(a, b) {
  return typeof a === "number" && typeof b === "number" && b !== 0 ? a / b : null;
}

/** Round to `digits` decimals, keeping null. */
export function round(value, digits) {
  if (typeof value !== "number" || !Number.isFinite(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Format a number for the table, "-" for null. */
export function fmt(value, digits = 0) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "-";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Render rows (arrays of strings) as an aligned text table; the first row is the header. */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])));
  const out = [line(rows[0]).join("  "), widths.map((w) => "-".repeat(w)).join("  ")];
  for (const r of rows.slice(1)) out.push(line(r).join("  "));
  return out.join("\n");
}

/** The p-th percentile (0-100, nearest rank) of the finite numbers in `values`, or null. */
export function percentile(values, p) {
  const xs = values
    .filter((v) => typeof v === "number" && Number.isFinite(v))
    .sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const rank = Math.ceil((p / 100) * xs.length);
  return xs[Math.min(xs.length, Math.max(1, rank)) - 1];
}

/**
 * Medians of one variant's load rounds (those without `error`): req/s, p50 and p99, the proxy's
 * and the backend's CPU time per request, then `extra(ok)`'s fields, the error count and each
 * round's req/s (null for a failed round).
 */
export function roundsSummary(rounds, extra = () => ({})) {
  const ok = rounds.filter((r) => !r.error);
  return {
    rps: round(median(ok.map((r) => r.rps)), 1),
    p50_ms: round(median(ok.map((r) => r.p50_ms)), 3),
    p99_ms: round(median(ok.map((r) => r.p99_ms)), 3),
    cpu_us_per_req: round(median(ok.map((r) => r.cpu?.proxy_us_per_req)), 2),
    backend_cpu_us_per_req: round(median(ok.map((r) => r.cpu?.backend_us_per_req)), 2),
    ...extra(ok),
    errors: rounds.reduce((s, r) => s + (r.errors ?? 0), 0),
    samples_rps: rounds.map((r) => (r.error ? null : round(r.rps, 1))),
  };
}
