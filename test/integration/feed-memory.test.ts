import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import { describeFeedConformance } from "../helpers/feed-conformance.js";

describeFeedConformance("MemoryFeedRegistry", {
  create: (options) => Promise.resolve(new MemoryFeedRegistry(options?.history)),
});
