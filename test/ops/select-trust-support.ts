// Shared by select-trust.test.ts and select-trust-malformed.test.ts: one selectImage run on the
// demo's Intel node with a cache of its own, the error such a run rejects with, and OCI layouts
// for the documents a registry would refuse.
import assert from "node:assert/strict";
import type { SelectionBudgets } from "../../src/compat/budget.js";
import { createCatalog } from "../../src/compat/catalog.js";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import { openCache } from "../../src/content/cache.js";
import { openLayout } from "../../src/content/layout.js";
import { createStoreOpener } from "../../src/content/open.js";
import { isOcicompatError, type OcicompatError } from "../../src/oci/errors.js";
import { loadNodeProfile } from "../../src/node/profile-file.js";
import { selectImage, type ImageSelection } from "../../src/ops/select.js";
import { tempDir, type Blob } from "../content/layout-support.js";

const catalog = createCatalog();
export const work = tempDir("ocicompat-select-trust-");
let cacheCount = 0;

/** The demo's Intel node: the demo image gives it the AVX-512 entry. */
let node: Promise<NodeProfile> | undefined;

export interface Run {
  selection: ImageSelection;
  requests: string[];
}

export async function select(
  reference: string,
  options: { cacheDir?: string; budgets?: Partial<SelectionBudgets>; signal?: AbortSignal } = {},
  requests: string[] = [],
): Promise<Run> {
  const opener = createStoreOpener({
    cache: openCache({ dir: options.cacheDir ?? `${work.path}/cache-${cacheCount++}` }),
    onRequest: (method, url) => requests.push(`${method} ${new URL(url).pathname}`),
  });
  try {
    const selection = await selectImage({
      reference,
      opener,
      catalog,
      profile: await (node ??= loadNodeProfile("examples/nodes/intel-spr.json", catalog)),
      ...(options.budgets ? { budgets: options.budgets } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { selection, requests };
  } finally {
    await opener.close();
  }
}

/** The error selectImage rejects with; fails the test if it resolves. */
export async function selectError(
  reference: string,
  options: Parameters<typeof select>[1] = {},
  requests: string[] = [],
): Promise<OcicompatError> {
  try {
    const { selection } = await select(reference, options, requests);
    assert.fail(`expected an error, got ${selection.chosen?.digest ?? "no choice"}`);
  } catch (err) {
    if (!isOcicompatError(err)) throw err;
    return err;
  }
}

export async function layoutImage(
  name: string,
  blobs: readonly Blob[],
  root: Blob,
): Promise<string> {
  const dir = `${work.path}/${name}`;
  const layout = await openLayout(dir, { create: true });
  for (const b of blobs) await layout.push(b.desc, b.bytes);
  await layout.tag(root.desc, "v1");
  return `oci:${dir}:v1`;
}
