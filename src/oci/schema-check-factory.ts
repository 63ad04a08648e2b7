// The shape of a build-time compiled check (schema-checks.generated.ts): TypeBox's generated code
// takes its three helpers (custom kinds, string formats, value hashes) as arguments.
export type CheckFactory = (
  kind: (kind: string, instance: number, value: unknown) => boolean,
  format: (format: string, value: unknown) => boolean,
  hash: (value: unknown) => bigint,
) => (value: unknown) => boolean;
