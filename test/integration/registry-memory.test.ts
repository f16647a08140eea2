import { MemoryRegistry } from "../../src/registry/memory-registry.js";
import { describeRegistryConformance } from "../helpers/registry-conformance.js";

describeRegistryConformance("MemoryRegistry", () => new MemoryRegistry());
