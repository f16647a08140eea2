/** The page header: which gateway, its registry, the live stream's state and the token field. */
import { useState } from "preact/hooks";
import { setToken } from "../api";
import type { StreamState } from "../event-stream";
import type { ConsoleState } from "../model";

const STREAM_TEXT: Record<StreamState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  refused: "Refused",
  stopped: "Stopped",
};

/** Props of the header. */
export interface HeaderProps {
  state: ConsoleState;
  /** The token was confirmed (Enter, the button, or leaving the field). */
  onToken: (token: string) => void;
}

/** The header. */
export function Header({ state, onToken }: HeaderProps) {
  const [token, setLocal] = useState("");
  const stats = typeof state.stats === "object" ? state.stats : undefined;
  const revision = stats?.registry.revision ?? state.revision;
  return (
    <header class="top">
      <div class="brand">
        <h1>Portico gateway</h1>
        <p class="muted server-id">
          {state.serverId ? (
            <>
              id <code>{state.serverId}</code>
            </>
          ) : (
            "…"
          )}
        </p>
      </div>
      <dl class="facts">
        <div>
          <dt>Registry</dt>
          <dd>
            {stats ? stats.registry.backend : state.stats === "unavailable" ? "unknown" : "…"}
            {revision !== undefined ? `, revision ${revision}` : ""}
          </dd>
        </div>
        <div>
          <dt>Events</dt>
          <dd>
            <span
              class={`pill pill-${state.stream}`}
              data-testid="stream-state"
              role="status"
              aria-label={`Events: ${STREAM_TEXT[state.stream]}`}
            >
              <span aria-hidden="true" class="dot" />
              {STREAM_TEXT[state.stream]}
              {state.stream === "refused" && state.streamDetail ? ` (${state.streamDetail})` : ""}
            </span>
          </dd>
        </div>
      </dl>
      <form
        class="token"
        onSubmit={(event) => {
          event.preventDefault();
          onToken(token);
        }}
      >
        <label for="token">Caller/admin token</label>
        <div class="row">
          <input
            id="token"
            type="password"
            autocomplete="off"
            spellcheck={false}
            value={token}
            onInput={(event) => {
              const value = event.currentTarget.value;
              setLocal(value);
              setToken(value); // every call from now on sends it
            }}
            onChange={() => onToken(token)}
          />
          <button type="submit">Use token</button>
        </div>
        <p class="muted small">Kept in this tab's memory only.</p>
      </form>
    </header>
  );
}
