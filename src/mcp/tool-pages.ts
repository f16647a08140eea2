/**
 * A tool list cut into pages, built once per tool set: `tools/list` hands out the same arrays
 * until the set changes, and a cursor names the list it came from, so a client paging through a
 * list that changed meanwhile is told to start again rather than given a mix of two lists.
 */
import { InvalidCursorError } from "./mcp-endpoint.js";
import type { ToolPage } from "./mcp-endpoint.js";
import type { ToolDefinition } from "./tool-shape.js";

/** Tools per page by default: a few hundred kilobytes of schemas at most. */
export const DEFAULT_PAGE_SIZE = 500;

export class ToolPages {
  private readonly pages: ToolPage[];

  constructor(
    tools: ToolDefinition[],
    /** Names this list among others (the registry revision): it is part of every cursor. */
    private readonly version: string,
    pageSize = DEFAULT_PAGE_SIZE,
  ) {
    this.pages = [];
    for (let start = 0; start === 0 || start < tools.length; start += pageSize) {
      const page: ToolPage = { tools: tools.slice(start, start + pageSize) };
      if (start + pageSize < tools.length) page.nextCursor = this.cursor(this.pages.length + 1);
      this.pages.push(page);
    }
  }

  /** The page a cursor names (the first without one). */
  page(cursor: string | undefined): ToolPage {
    if (cursor === undefined) return this.pages[0]!;
    const [version, index] = decode(cursor);
    const page = version === this.version ? this.pages[index] : undefined;
    if (!page) {
      throw new InvalidCursorError(
        "Invalid or expired cursor: the tool list changed since it was handed out; list again from the start",
      );
    }
    return page;
  }

  get count(): number {
    return this.pages.reduce((sum, page) => sum + page.tools.length, 0);
  }

  private cursor(index: number): string {
    return Buffer.from(`${this.version}:${index}`).toString("base64url");
  }
}

function decode(cursor: string): [string, number] {
  const text = Buffer.from(cursor, "base64url").toString();
  const colon = text.lastIndexOf(":");
  const index = Number(text.slice(colon + 1));
  return colon < 0 || !Number.isInteger(index) ? ["", -1] : [text.slice(0, colon), index];
}
