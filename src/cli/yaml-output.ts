// The YAML writer behind `-o yaml`, kept in its own module so that output.ts can load it on
// demand: the yaml package is large and most runs never print YAML.
import { stringify } from "yaml";

export function toYaml(data: unknown): string {
  return stringify(data);
}
