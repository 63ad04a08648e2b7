// What names a schema across processes: the digest of its JSON text. The build-time compiled
// checks (schema-checks.generated.ts) are looked up by it, so a schema edited without
// regenerating them finds none and is checked the slow way instead of by a stale function.
import type { TSchema } from "@sinclair/typebox";
import { computeDigest } from "./digest.js";

export function schemaKey(schema: TSchema): string {
  return computeDigest(Buffer.from(JSON.stringify(schema), "utf8"));
}
