/** An instance's health: a word and a symbol, the colour only repeating them. */
import type { InstanceInfo } from "../types";

const SYMBOL = { healthy: "✓", unhealthy: "✕", ejected: "!", unchecked: "?" } as const;

/** The health badge. */
export function HealthBadge({ health }: { health: InstanceInfo["health"] }) {
  const value = health ?? "unchecked";
  return (
    <span class={`badge badge-${value}`} data-health={value}>
      <span aria-hidden="true">{SYMBOL[value]} </span>
      {value}
    </span>
  );
}
