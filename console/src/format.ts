/** Small formatters for what the page shows. */
import { BUILTIN_NAMES } from "../../src/contract/builtin-names.js";

/** "1.2 req/s" (two digits below 10). */
export function rate(value: number): string {
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} req/s`;
}

/** A 0..1 share as "0.5 %". */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}

/** Milliseconds, or a dash when there were no requests. */
export function ms(value: number | null): string {
  if (value === null) return "–";
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

/** The local time of an ISO date, or the text itself when it is not one. */
export function clock(iso: string | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
}

/** Endpoints every Portico service has: listed apart from the app's own. */
export const BUILTIN_ENDPOINTS: ReadonlySet<string> = new Set(BUILTIN_NAMES);
