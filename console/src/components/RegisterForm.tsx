/** Register an app (admin token): name, URL, and the optional kind, OpenAPI URL, health path. */
import { useState } from "preact/hooks";
import { send } from "../api";
import type { Reply } from "../api";
import { ErrorBox } from "./ErrorBox";

interface Fields {
  name: string;
  url: string;
  mcp: boolean;
  openapi: string;
  health: string;
}

const EMPTY: Fields = { name: "", url: "", mcp: false, openapi: "", health: "" };

/** The register form. */
export function RegisterForm() {
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [reply, setReply] = useState<Reply | undefined>();
  const [busy, setBusy] = useState(false);
  const text = (key: "name" | "url" | "openapi" | "health") => ({
    id: `register-${key}`,
    value: fields[key],
    onInput: (event: Event) =>
      setFields({ ...fields, [key]: (event.currentTarget as HTMLInputElement).value }),
  });

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    const input = {
      name: fields.name.trim(),
      url: fields.url.trim(),
      ...(fields.mcp ? { kind: "mcp" } : {}),
      ...(fields.openapi.trim() ? { openapi: fields.openapi.trim() } : {}),
      ...(fields.health.trim() ? { health_path: fields.health.trim() } : {}),
    };
    setBusy(true);
    const result = await send("/register_app", { method: "POST", body: JSON.stringify(input) });
    setBusy(false);
    setReply(result);
    if (result.ok) setFields(EMPTY);
  };

  const done = reply?.ok ? (reply.body as { name?: string; discovered?: boolean }) : undefined;
  return (
    <section class="card register" aria-labelledby="register-heading">
      <h2 id="register-heading">Register an app</h2>
      <form onSubmit={(event) => void submit(event)}>
        <div class="field">
          <label for="register-name">Name</label>
          <input {...text("name")} required autocomplete="off" spellcheck={false} />
        </div>
        <div class="field">
          <label for="register-url">URL</label>
          <input {...text("url")} type="url" required placeholder="http://127.0.0.1:8080" />
        </div>
        <div class="field inline">
          <input
            id="register-mcp"
            type="checkbox"
            checked={fields.mcp}
            onChange={(event) => setFields({ ...fields, mcp: event.currentTarget.checked })}
          />
          <label for="register-mcp">It is an MCP server</label>
        </div>
        <div class="field">
          <label for="register-openapi">OpenAPI URL (optional)</label>
          <input {...text("openapi")} type="url" />
        </div>
        <div class="field">
          <label for="register-health">Health path (optional)</label>
          <input {...text("health")} placeholder="/healthz" />
        </div>
        <button type="submit" aria-disabled={busy}>
          {busy ? "Registering…" : "Register"}
        </button>
      </form>
      {reply?.error && (
        <ErrorBox status={reply.status} error={reply.error} what="Registering" admin />
      )}
      {done && (
        <p class="success" role="status">
          Registered <strong>{done.name}</strong>
          {done.discovered === false ? " (its endpoints could not be read)" : ""}.
        </p>
      )}
    </section>
  );
}
