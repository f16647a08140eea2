/**
 * "Try it": a form generated from the endpoint's input schema (or raw JSON), sent through the
 * gateway; shows the status and the reply, or the error code and message.
 */
import { useId, useState } from "preact/hooks";
import { send } from "../api";
import type { Reply } from "../api";
import { planRequest } from "../call";
import { buildValue, kindOf, resolve, valuesOf } from "../schema";
import type { FieldValues } from "../schema";
import type { AppInfo, EndpointDescriptor, JsonSchema } from "../types";
import { ErrorBox } from "./ErrorBox";
import { ObjectFields } from "./SchemaFields";

/** Props of a try-it form. */
export interface TryItProps {
  app: AppInfo;
  endpoint: EndpointDescriptor;
}

/** The form and its last result. */
export function TryIt({ app, endpoint }: TryItProps) {
  const idBase = `try${useId().replace(/[^A-Za-z0-9_-]/g, "")}`;
  const schema: JsonSchema | null = endpoint.input_schema;
  // A schema the form cannot show field by field is typed as JSON.
  const formable = schema !== null && kindOf(resolve(schema, schema)) === "object";
  const [values, setValues] = useState<FieldValues>({});
  const [raw, setRaw] = useState(!formable && schema !== null);
  const [rawText, setRawText] = useState(schema === null ? "" : "{}");
  const [problem, setProblem] = useState<string | undefined>();
  const [reply, setReply] = useState<Reply | undefined>();
  const [busy, setBusy] = useState(false);

  const toggleRaw = (on: boolean) => {
    setProblem(undefined);
    if (!schema) return;
    if (on) {
      const built = buildValue(schema, schema, values, "");
      setRawText(JSON.stringify(built.value ?? {}, null, 2));
      setRaw(true);
      return;
    }
    try {
      setValues(valuesOf(schema, schema, JSON.parse(rawText) as unknown, ""));
      setRaw(false);
    } catch {
      setProblem("The raw JSON does not parse: fix it to go back to the form.");
    }
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setProblem(undefined);
    let input: unknown;
    let text: string | undefined;
    if (raw) {
      text = rawText;
      try {
        input = JSON.parse(rawText) as unknown;
      } catch {
        input = undefined; // sent as typed: the gateway says what is wrong with it
      }
    } else if (schema) {
      const built = buildValue(schema, schema, values, "");
      if (built.errors.length > 0) return setProblem(built.errors.join("; "));
      input = built.value ?? {};
    }
    const planned = planRequest(app, endpoint, input, endpoint.http ? undefined : text);
    setBusy(true);
    const result = await send(planned.url, {
      method: planned.method,
      ...(planned.body !== undefined ? { body: planned.body } : {}),
    });
    setBusy(false);
    setReply(result);
  };

  return (
    <form class="try-form" onSubmit={(event) => void submit(event)}>
      {schema !== null && formable && (
        <div class="field inline">
          <input
            id={`${idBase}-raw`}
            type="checkbox"
            checked={raw}
            onChange={(event) => toggleRaw(event.currentTarget.checked)}
          />
          <label for={`${idBase}-raw`}>Raw JSON</label>
        </div>
      )}
      {schema === null && <p class="muted small">No input.</p>}
      {schema !== null && raw && (
        <div class="field">
          <label for={`${idBase}-json`}>Input (JSON)</label>
          <textarea
            id={`${idBase}-json`}
            rows={6}
            spellcheck={false}
            value={rawText}
            onInput={(event) => setRawText(event.currentTarget.value)}
          />
        </div>
      )}
      {schema !== null && !raw && (
        <ObjectFields
          schema={schema}
          root={schema}
          path=""
          values={values}
          idBase={idBase}
          onChange={(path, value) => setValues({ ...values, [path]: value })}
        />
      )}
      {problem && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" aria-disabled={busy}>
        {busy ? "Calling…" : `Call ${endpoint.name}`}
      </button>
      {reply && <Result reply={reply} />}
    </form>
  );
}

function Result({ reply }: { reply: Reply }) {
  if (reply.error) {
    return (
      <div class="result">
        <ErrorBox status={reply.status || undefined} error={reply.error} what="The call" />
        {reply.error.data !== undefined && (
          <pre class="json">{JSON.stringify(reply.error.data, null, 2)}</pre>
        )}
      </div>
    );
  }
  const shown = reply.body === undefined ? reply.text : JSON.stringify(reply.body, null, 2);
  return (
    <div class="result ok" role="status">
      <p>
        <span class="status status-ok">HTTP {reply.status}</span>
      </p>
      <pre class="json">{shown === "" ? "(empty reply)" : shown}</pre>
    </div>
  );
}
