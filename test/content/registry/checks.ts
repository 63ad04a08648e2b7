// Checks shared by the registry tests: an image pushed and read back whole, and the RegistryError
// a failing call must end with.
import assert from "node:assert/strict";
import { RegistryError } from "../../../src/content/registry/errors.js";
import { fetchBytes, type Store } from "../../../src/content/store.js";
import { pushImage, type Image } from "./helpers.js";

/** Pushes `img` through `store`, reads its manifest back and compares the bytes, then closes it. */
export async function pushAndReadBack(
  store: Store & { close(): Promise<void> },
  img: Image,
): Promise<void> {
  try {
    await pushImage(store, img);
    const bytes = await fetchBytes(store, img.manifest.desc);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(img.manifest.bytes));
  } finally {
    await store.close();
  }
}

/** Fails unless `run` rejects with a RegistryError of `code` whose message matches `message`. */
export async function rejectsWithRegistryError(
  run: Promise<unknown>,
  code: string,
  message: RegExp,
): Promise<void> {
  await assert.rejects(run, (err: unknown) => {
    assert.ok(err instanceof RegistryError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
}
