/** The live events log: the last 200, newest first; one polite line announces the latest. */
import type { LogEntry } from "../model";

/** Props of the log. */
export interface EventsLogProps {
  events: LogEntry[];
  announcement: string;
}

/** The log section. */
export function EventsLog({ events, announcement }: EventsLogProps) {
  return (
    <section class="card events" aria-labelledby="events-heading">
      <h2 id="events-heading">Events</h2>
      <p class="muted small latest" aria-live="polite" aria-atomic="true">
        {announcement ? `Latest: ${announcement}` : "Waiting for changes…"}
      </p>
      {events.length > 0 && (
        <ol class="log">
          {events.map((entry) => (
            <li key={entry.key} data-type={entry.type}>
              <time>{entry.time}</time>
              <span class="type">{entry.type}</span>
              <span class="app">{entry.app}</span>
              {entry.revision !== undefined && <span class="rev">rev {entry.revision}</span>}
              {entry.detail && <span class="detail">{entry.detail}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
