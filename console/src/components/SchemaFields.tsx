/** Form controls generated from a JSON Schema: one per property, objects as fieldsets. */
import { choicesOf, join, kindOf, propertiesOf, resolve } from "../schema";
import type { FieldValues } from "../schema";
import type { JsonSchema } from "../types";
import { RichText } from "./RichText";

/** Props of one field. */
export interface FieldProps {
  schema: JsonSchema;
  root: JsonSchema;
  /** Path of the field (`a.b`); "" for the whole input. */
  path: string;
  name: string;
  required: boolean;
  values: FieldValues;
  onChange: (path: string, value: string) => void;
  /** Prefix of the controls' ids, unique on the page. */
  idBase: string;
}

/** The controls of an object schema's properties. */
export function ObjectFields(props: Omit<FieldProps, "name" | "required">) {
  const resolved = resolve(props.schema, props.root);
  return (
    <>
      {propertiesOf(resolved).map(([name, schema, required]) => (
        <Field
          key={name}
          {...props}
          schema={schema}
          path={join(props.path, name)}
          name={name}
          required={required}
        />
      ))}
    </>
  );
}

/** One property's control, with its label and description. */
export function Field(props: FieldProps) {
  const { root, path, name, required, values, onChange } = props;
  const schema = resolve(props.schema, root);
  const kind = kindOf(schema);
  const id = `${props.idBase}-${path.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const description = typeof schema.description === "string" ? schema.description : undefined;
  const describedBy = description ? `${id}-desc` : undefined;
  if (kind === "object") {
    return (
      <fieldset>
        <legend>
          {name}
          {required && <span class="required"> (required)</span>}
        </legend>
        {description && (
          <p class="muted small">
            <RichText text={description} />
          </p>
        )}
        <ObjectFields {...props} schema={schema} />
      </fieldset>
    );
  }
  const value = values[path] ?? "";
  const set = (event: Event) =>
    onChange(path, (event.currentTarget as HTMLInputElement | HTMLSelectElement).value);
  const common = {
    id,
    name: path,
    "aria-required": required,
    ...(describedBy ? { "aria-describedby": describedBy } : {}),
  };
  let control;
  if (kind === "enum" || kind === "boolean") {
    const choices = kind === "boolean" ? [true, false] : choicesOf(schema);
    control = (
      <select {...common} value={value} onChange={set}>
        <option value="">(not set)</option>
        {choices.map((choice, at) => (
          <option key={at} value={kind === "boolean" ? String(choice) : String(at)}>
            {JSON.stringify(choice)}
          </option>
        ))}
      </select>
    );
  } else if (kind === "json") {
    control = (
      <textarea
        {...common}
        rows={3}
        spellcheck={false}
        value={value}
        onInput={set}
        placeholder={placeholder(schema, "JSON")}
      />
    );
  } else {
    control = (
      <input
        {...common}
        type={kind === "string" ? "text" : "number"}
        {...(kind === "integer" ? { step: 1 } : kind === "number" ? { step: "any" } : {})}
        value={value}
        onInput={set}
        placeholder={placeholder(schema, "")}
      />
    );
  }
  return (
    <div class="field">
      <label for={id}>
        {name}
        {required && <span class="required"> (required)</span>}
        <span class="type"> {typeText(schema, kind)}</span>
      </label>
      {control}
      {description && (
        <p id={describedBy} class="muted small">
          <RichText text={description} />
        </p>
      )}
    </div>
  );
}

function placeholder(schema: JsonSchema, fallback: string): string {
  return schema.default !== undefined ? `default: ${JSON.stringify(schema.default)}` : fallback;
}

function typeText(schema: JsonSchema, kind: string): string {
  if (kind === "json") {
    const type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
    return `(${typeof type === "string" ? type : "any"}, JSON)`;
  }
  return kind === "enum" ? "(one of)" : `(${kind})`;
}
