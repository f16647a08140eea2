/** A description as written in schemas: `backticks` mark code, the rest is plain text. */

/** Renders `text` with its backtick spans as code. */
export function RichText({ text }: { text: string }) {
  const parts = text.split(/`([^`]+)`/);
  // Odd indices are the spans between backticks.
  return <>{parts.map((part, at) => (at % 2 === 1 ? <code key={at}>{part}</code> : part))}</>;
}
