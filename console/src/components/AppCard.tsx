/** One registered app: instances and health, stats, endpoints with "try it", MCP tools. */
import { useEffect, useRef, useState } from "preact/hooks";
import { send } from "../api";
import type { Reply } from "../api";
import { BUILTIN_ENDPOINTS, clock, ms, percent, rate } from "../format";
import type { AppInfo, AppStats, EndpointDescriptor, McpTool } from "../types";
import { HealthBadge } from "./Badge";
import { RichText } from "./RichText";
import { ErrorBox } from "./ErrorBox";
import { TryIt } from "./TryIt";

/** The id of the apps list's heading, where the focus goes when a card with it leaves. */
export const APPS_HEADING_ID = "apps-heading";

/** Props of an app card. */
export interface AppCardProps {
  app: AppInfo;
  stats: AppStats | undefined;
  /** The gateway has no `app_stats`. */
  statsOff: boolean;
  /** The app's MCP tools; undefined when the gateway serves no MCP. */
  tools: McpTool[] | undefined;
}

/** An app's card. */
export function AppCard({ app, stats, statsOff, tools }: AppCardProps) {
  const [refusal, setRefusal] = useState<Reply | undefined>();
  const [busy, setBusy] = useState(false);
  const endpoints = Object.values(app.endpoints);
  const builtin = (e: EndpointDescriptor) =>
    app.kind === "portico" && BUILTIN_ENDPOINTS.has(e.name);
  const own = endpoints.filter((e) => !builtin(e));
  const builtins = endpoints.filter(builtin);
  const headingId = `app-${app.name}`;
  const cardRef = useRef<HTMLElement>(null);
  // Effect cleanups run before Preact removes the card's nodes: if the focus is inside (its
  // Unregister button), hand it to the apps heading, which says how many are left, instead of
  // letting it fall back to the top of the page.
  useEffect(
    () => () => {
      if (!cardRef.current?.contains(document.activeElement)) return;
      setTimeout(() => document.getElementById(APPS_HEADING_ID)?.focus());
    },
    [],
  );

  const unregister = async () => {
    if (busy) return;
    setBusy(true);
    const reply = await send("/unregister_app", {
      method: "POST",
      body: JSON.stringify({ name: app.name }),
    });
    setBusy(false);
    setRefusal(reply.ok ? undefined : reply);
  };

  return (
    <article ref={cardRef} class="card app" aria-labelledby={headingId} data-app={app.name}>
      <div class="card-head">
        <h3 id={headingId}>{app.name}</h3>
        <span class="tag">{app.kind ?? "unknown kind"}</span>
        <button
          type="button"
          class="danger"
          aria-disabled={busy}
          onClick={() => void unregister()}
          aria-label={`Unregister ${app.name}`}
        >
          Unregister
        </button>
      </div>
      {refusal?.error && (
        <ErrorBox status={refusal.status} error={refusal.error} what="Unregistering" admin />
      )}
      <Stats stats={stats} off={statsOff} />
      <h4>Instances</h4>
      <ul class="instances">
        {(app.instances ?? [{ url: app.url }]).map((instance) => (
          <li key={instance.url} data-instance={instance.url}>
            <code class="url">{instance.url}</code>
            <HealthBadge health={instance.health} />
            <span class="muted small">
              {instance.last_check ? `checked ${clock(instance.last_check)}` : "not checked yet"}
            </span>
            {instance.last_error && <span class="last-error small">{instance.last_error}</span>}
          </li>
        ))}
      </ul>
      <h4>Endpoints</h4>
      {own.length === 0 && (
        <p class="muted">No endpoint described: calls are forwarded as they come.</p>
      )}
      <ul class="endpoints">
        {own.map((endpoint) => (
          <Endpoint key={endpoint.name} app={app} endpoint={endpoint} />
        ))}
      </ul>
      {builtins.length > 0 && (
        <details class="builtins">
          <summary>{builtins.length} built-in endpoints</summary>
          <ul class="endpoints">
            {builtins.map((endpoint) => (
              <Endpoint key={endpoint.name} app={app} endpoint={endpoint} />
            ))}
          </ul>
        </details>
      )}
      {tools && (
        <>
          <h4>MCP tools</h4>
          {tools.length === 0 ? (
            <p class="muted">None.</p>
          ) : (
            <ul class="tools">
              {tools.map((tool) => (
                <li key={tool.name}>
                  <code>{tool.name}</code>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </article>
  );
}

function Stats({ stats, off }: { stats: AppStats | undefined; off: boolean }) {
  if (off) return <p class="muted small">No statistics: this gateway has no app_stats.</p>;
  const cells: [string, string][] = [
    ["Rate", stats ? rate(stats.rate) : "–"],
    ["Errors", stats ? percent(stats.error_rate) : "–"],
    ["p50", stats ? ms(stats.p50_ms) : "–"],
    ["p99", stats ? ms(stats.p99_ms) : "–"],
  ];
  return (
    <dl class="stats">
      {cells.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Endpoint({ app, endpoint }: { app: AppInfo; endpoint: EndpointDescriptor }) {
  const methods = endpoint.http ? [endpoint.http.method] : endpoint.methods;
  // The form is built when opened: an app may have hundreds of endpoints.
  const [open, setOpen] = useState(false);
  return (
    <li class="endpoint">
      <div class="endpoint-head">
        <span class="methods">{methods.join(" ")}</span>
        <code>{endpoint.name}</code>
        {endpoint.access === "admin" && <span class="tag">admin</span>}
      </div>
      {endpoint.description && (
        <p class="description">
          <RichText text={endpoint.description} />
        </p>
      )}
      <details class="try" onToggle={(event) => setOpen(event.currentTarget.open)}>
        <summary>Try {endpoint.name}</summary>
        {open && <TryIt app={app} endpoint={endpoint} />}
      </details>
    </li>
  );
}
