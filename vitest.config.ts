import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The second reporter says loudly, after the summary, which service-backed tests were skipped.
    reporters: ["default", "./test/reporters/missing-services.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real servers and child processes: keep files in separate workers but cap parallelism for a 2-core machine.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    typecheck: {
      enabled: true,
      include: ["test/types/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
    coverage: {
      provider: "v8",
      include: ["src/**/*.ts"],
      exclude: ["src/**/bin.ts", "src/launcher/child-entry.ts"],
      reporter: ["text-summary", "text"],
      thresholds: { lines: 90 },
    },
  },
});
