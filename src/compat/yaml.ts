// YAML input for authoring files and label packs. What it accepts is exactly JSON's data model,
// written as YAML: anything YAML can say that JSON cannot is refused with INVALID_YAML, the file
// and the line, rather than turned into something else quietly (issue #12.8):
// * duplicate keys (as in I-JSON);
// * keys that are not plain scalars (`? [a, b]`, `{a: 1}: x`): JavaScript would stringify them,
//   and Node would print a raw warning on stderr;
// * tags beyond JSON's (`!!js/function`, `!custom`, `!!binary`, `!!set`): never read as strings;
// * numbers that do not keep their digits as written (`2.30` is 2.3, `1e3`, `0x10`): a version
//   written unquoted would silently become another version, so the fix is to quote it;
// * more than MAX_ALIASES aliases, or expansions beyond that count (an alias bomb).
import { isAlias, isScalar, LineCounter, parseDocument, visit, type Node } from "yaml";
import { OcicompatError } from "../oci/errors.js";

/** Aliases a file may hold, and nodes their expansion may reach: reuse, not amplification. */
const MAX_ALIASES = 100;

/** The explicit tags of JSON's data model (YAML 1.2 core schema). */
const JSON_TAGS: ReadonlySet<string> = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`),
);

export function parseYaml(text: string, source: string): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: true,
    strict: true,
    schema: "core",
    lineCounter,
  });
  // Warnings (an unresolved tag) would let the value through as a string: they are errors here.
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
    const tag = /^Unresolved tag: (\S+)/.exec(first.message)?.[1];
    const message = tag === undefined ? oneLine(first.message) : tagRefused(tag);
    throw invalidYaml(`${where}${message}`, source);
  }
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    if (offset === undefined) return "";
    const pos = lineCounter.linePos(offset);
    return `line ${pos.line}, column ${pos.col}: `;
  };
  let aliases = 0;
  visit(doc, {
    Pair(_, pair) {
      const key = pair.key as Node | null;
      if (key !== null && !isScalar(key)) {
        const what = isAlias(key) ? "an alias" : "a collection";
        throw invalidYaml(
          `${at(key)}a key must be a plain string, not ${what} (a complex key has no JSON form)`,
          source,
        );
      }
    },
    Alias(_, alias) {
      if (++aliases > MAX_ALIASES) {
        throw invalidYaml(
          `${at(alias)}more than ${MAX_ALIASES} aliases: anchors and aliases are for reuse, not for expanding a small file into a huge one`,
          source,
        );
      }
    },
    Node(_, node) {
      if (node.tag !== undefined && !JSON_TAGS.has(node.tag)) {
        throw invalidYaml(`${at(node)}${tagRefused(node.tag)}`, source);
      }
      if (isScalar(node) && typeof node.value === "number" && node.type === "PLAIN") {
        const written = node.range ? text.slice(node.range[0], node.range[1]) : undefined;
        if (written !== undefined && written !== String(node.value)) {
          throw invalidYaml(
            `${at(node)}the unquoted ${written} is a YAML number, which does not keep its digits as written; quote it ("${written}") if it is a version or other text`,
            source,
          );
        }
      }
    },
  });
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    throw invalidYaml(
      `${oneLine((err as Error).message)} (aliases may expand to at most ${MAX_ALIASES} nodes)`,
      source,
    );
  }
}

function tagRefused(tag: string): string {
  const short = tag.replace(/^tag:yaml\.org,2002:/, "!!");
  return `the tag ${short} is not allowed (only JSON's strings, numbers, booleans, null, lists and maps are); it is not read as a string either`;
}

function invalidYaml(message: string, source: string): OcicompatError {
  return new OcicompatError("INVALID_YAML", message, { subject: source });
}

/** The first line, without the position prettyErrors appends (we put it in front). */
function oneLine(message: string): string {
  const first = (message.split("\n")[0] ?? message).trim();
  return first.replace(/ at line \d+, column \d+:?$/, "");
}
