// withSignal: the store wrapper protect and verify hand on (to writers and anchor finders) adds the
// run's signal to every store method that takes call options, so that a cancelled run stops each
// request it has in flight. Read from the store classes themselves, so that a method added to a
// store later cannot be missed.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ArchiveStore } from "../../src/content/archive.js";
import { withSignal } from "../../src/content/cancel.js";
import { LayoutStore } from "../../src/content/layout.js";
import { MemoryStore } from "../../src/content/memory.js";
import { RegistryStore } from "../../src/content/registry/index.js";

/** Closing an upload session goes even after a cancellation (content/copy/blob-transfer.ts). */
const WITHOUT_SIGNAL = new Set(["closeUploadSession"]);

/** Each method of `prototype` with a parameter named `options`, and that parameter's position. */
function methodsTakingOptions(prototype: object): [string, number][] {
  const found: [string, number][] = [];
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const value = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
    if (name === "constructor" || typeof value !== "function") continue;
    const params = /^[^(]*\(([^)]*)\)/.exec(String(value))?.[1] ?? "";
    const at = params.split(",").findIndex((p) => p.trim().replace(/\s*=.*$/, "") === "options");
    if (at >= 0) found.push([name, at]);
  }
  return found;
}

describe("withSignal", () => {
  for (const store of [RegistryStore, LayoutStore, ArchiveStore, MemoryStore]) {
    test(`${store.name}: every method that takes call options gets the signal`, async () => {
      const methods = methodsTakingOptions(store.prototype);
      assert.ok(methods.length >= 6, `found ${methods.map(([n]) => n).join(", ")}`);
      const seen = new Map<string, unknown[]>();
      const target = Object.fromEntries(
        methods.map(([name]) => [name, (...args: unknown[]) => seen.set(name, args)]),
      );
      const signal = new AbortController().signal;
      const wrapped = withSignal(target, signal) as Record<string, (...a: unknown[]) => unknown>;
      for (const [name, at] of methods) {
        await wrapped[name]!();
        const options = seen.get(name)?.[at] as { signal?: AbortSignal } | undefined;
        if (WITHOUT_SIGNAL.has(name)) assert.equal(options, undefined, name);
        else assert.equal(options?.signal, signal, `${name} (options at ${at})`);
      }
    });
  }
});
