// Shared by attach.test.ts and attach-readers.test.ts, ocicompat attach as a user runs it: a real
// CNCF distribution registry and a work directory holding the authoring compat file. Each file
// calls startRegistryAndCompatFile() for its own; its `before` hook fills in the `registry` and
// `compatFile` bindings the tests read.
import { after, before } from "node:test";
import { tempDir } from "../content/layout-support.js";
import { startRegistry, type TestRegistry } from "../support/registry.js";
import { AUTHORING_YAML, writeFile } from "../ops/attach-support.js";

export let registry: TestRegistry;
export const work = tempDir("ocicompat-cli-attach-");
export let compatFile: string;

export function startRegistryAndCompatFile(): void {
  before(async () => {
    registry = await startRegistry();
    compatFile = writeFile(work.path, "compat.yaml", AUTHORING_YAML);
  });

  after(async () => {
    await registry.stop();
    work.remove();
  });
}
