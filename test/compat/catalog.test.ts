import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_LABELS, RESERVED_KEYS, createCatalog } from "../../src/compat/catalog.js";
import type { LabelDefinition } from "../../src/compat/label-definition.js";
import { LabelTypes } from "../../src/compat/label-types.js";
import { OcicompatError } from "../../src/oci/errors.js";

const LOWERCASE_DOTTED = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$/;

function pack(name: string, type: LabelDefinition["type"], extra: Partial<LabelDefinition> = {}) {
  const def: LabelDefinition = {
    name,
    type,
    aliases: [],
    summary: `${name} summary`,
    explanation: `${name} explanation`,
    examples: [],
    source: "pack",
    ...extra,
  };
  return def;
}

function throwsValidation(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof OcicompatError);
    assert.equal(err.code, "VALIDATION");
    assert.match(err.message, pattern);
    return true;
  });
}

describe("BUILTIN_LABELS", () => {
  test("holds every label of the design's starting catalog with its type", () => {
    const expected: Record<string, string> = {
      "oci.cpu.vendor": "string",
      "oci.cpu.features": "set",
      "oci.cpu.count": "quantity",
      "oci.kernel.version": "version",
      "oci.kernel.configurations": "set",
      "oci.kernel.modules": "set",
      "oci.kernel.selinux": "bool",
      "oci.os.id": "string",
      "oci.os.version": "version",
      "oci.os.glibc": "version",
      "oci.pci.devices": "set",
      "oci.usb.devices": "set",
      "oci.memory.total": "quantity",
      "oci.gpu.nvidia.driver": "version",
      "oci.runtime.handlers": "set",
    };
    const catalog = createCatalog();
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(catalog.get(name)?.type, type, name);
    }
  });

  test("keeps the catalog between 22 and 26 labels", () => {
    assert.ok(BUILTIN_LABELS.length >= 22 && BUILTIN_LABELS.length <= 26);
  });

  test("gives every label a one-line summary, a one-paragraph explanation and 2-4 examples", () => {
    for (const def of BUILTIN_LABELS) {
      assert.ok(def.summary.trim().length > 0, def.name);
      assert.doesNotMatch(def.summary, /\n/, def.name);
      assert.doesNotMatch(def.summary, /\.$/, `${def.name}: summaries end without a full stop`);
      assert.ok(def.explanation.trim().length > 80, def.name);
      assert.doesNotMatch(def.explanation, /\n/, def.name);
      assert.ok(def.examples.length >= 2 && def.examples.length <= 4, def.name);
      for (const ex of def.examples) {
        assert.ok(ex.value.trim().length > 0 && ex.meaning.trim().length > 0, def.name);
      }
    }
  });

  test("uses only known types and sources, and leaves discovery and docs to packs", () => {
    for (const def of BUILTIN_LABELS) {
      assert.ok(LabelTypes.includes(def.type), def.name);
      assert.ok(def.source === "oci" || def.source === "ocicompat", def.name);
      assert.equal(def.discovery, undefined, def.name);
      assert.equal(def.docs, undefined, def.name);
    }
  });

  test("marks as oci only the names used in the proposals' examples", () => {
    const oci = BUILTIN_LABELS.filter((d) => d.source === "oci").map((d) => d.name);
    assert.deepEqual(oci.sort(), [
      "oci.cpu.features",
      "oci.cpu.vendor",
      "oci.kernel.configurations",
      "oci.kernel.selinux",
      "oci.kernel.version",
      "oci.os.glibc",
      "oci.pci.devices",
    ]);
  });

  test("has unique, lower-case dotted names and aliases", () => {
    const seen = new Set<string>();
    for (const def of BUILTIN_LABELS) {
      for (const key of [def.name, ...def.aliases]) {
        assert.match(key, LOWERCASE_DOTTED);
        assert.ok(!seen.has(key), `${key} appears twice`);
        seen.add(key);
      }
    }
  });

  test("does not define any reserved set key", () => {
    const catalog = createCatalog();
    for (const key of RESERVED_KEYS) assert.equal(catalog.get(key), undefined, key);
    assert.deepEqual([...RESERVED_KEYS].sort(), [
      "compatibility-score",
      "description",
      "oci.compatibility-score",
      "score",
      "tags",
    ]);
  });

  test("writes bool examples as true or false", () => {
    for (const def of BUILTIN_LABELS.filter((d) => d.type === "bool")) {
      for (const ex of def.examples) assert.match(ex.value, /^(true|false)$/, def.name);
    }
  });

  test("writes PCI and USB examples as lower-case vendor.id hex pairs", () => {
    for (const name of ["oci.pci.devices", "oci.usb.devices"]) {
      for (const ex of createCatalog().get(name)?.examples ?? []) {
        for (const item of ex.value.split(/[,|]/).filter(Boolean)) {
          assert.match(item, /^[0-9a-f]{4}\.(?:[0-9a-f]{4}|\*)$/, `${name}: ${item}`);
        }
      }
    }
  });

  test("writes CPU feature examples in NFD spelling: upper case without underscores", () => {
    for (const ex of createCatalog().get("oci.cpu.features")?.examples ?? []) {
      for (const item of ex.value.split(/[,|]/).filter(Boolean)) {
        const flag = item.replace(/^!/, "");
        assert.ok(/^X86_64_V[234]$/.test(flag) || /^[A-Z0-9]+$/.test(flag), flag);
      }
    }
  });

  test("tells NFD users that cpu-model.vendor_id says Intel and AMD", () => {
    const nfd = createCatalog().get("oci.cpu.vendor")?.nfd;
    assert.equal(nfd?.feature, "cpu-model.vendor_id");
    assert.match(nfd?.note ?? "", /Intel/);
    assert.match(nfd?.note ?? "", /GenuineIntel/);
    assert.match(nfd?.note ?? "", /AuthenticAMD/);
  });

  test("is frozen, so no caller can change a label for everyone", () => {
    assert.ok(Object.isFrozen(BUILTIN_LABELS));
    for (const def of BUILTIN_LABELS) {
      assert.ok(Object.isFrozen(def) && Object.isFrozen(def.aliases), def.name);
      assert.ok(Object.isFrozen(def.examples), def.name);
    }
  });
});

describe("createCatalog lookups", () => {
  test("finds a label by its canonical name", () => {
    const def = createCatalog().get("oci.kernel.configurations");
    assert.equal(def?.type, "set");
  });

  test("finds oci.kernel.version through its proposal spelling oci.kernel.versions", () => {
    const catalog = createCatalog();
    assert.equal(catalog.get("oci.kernel.versions"), catalog.get("oci.kernel.version"));
    assert.equal(catalog.canonicalName("oci.kernel.versions"), "oci.kernel.version");
    assert.equal(catalog.canonicalName("oci.kernel.version"), "oci.kernel.version");
  });

  test("returns undefined for unknown labels and for other capitalisations", () => {
    const catalog = createCatalog();
    assert.equal(catalog.get("org.example.nothing"), undefined);
    assert.equal(catalog.canonicalName("org.example.nothing"), undefined);
    assert.equal(catalog.get("OCI.CPU.VENDOR"), undefined);
  });

  test("lists the built-in labels first, in catalog order, then pack labels", () => {
    const catalog = createCatalog([pack("org.example.tool.version", "version")]);
    const names = catalog.list().map((d) => d.name);
    assert.deepEqual(
      names.slice(0, BUILTIN_LABELS.length),
      BUILTIN_LABELS.map((d) => d.name),
    );
    assert.equal(names.at(-1), "org.example.tool.version");
  });
});

describe("createCatalog with label packs", () => {
  test("adds pack labels and their aliases", () => {
    const catalog = createCatalog([
      pack("org.openmpi.version", "version", { aliases: ["org.open-mpi.version"] }),
    ]);
    assert.equal(catalog.get("org.openmpi.version")?.source, "pack");
    assert.equal(catalog.canonicalName("org.open-mpi.version"), "org.openmpi.version");
  });

  test("rejects a pack label that redefines a built-in name with another type", () => {
    throwsValidation(
      () => createCatalog([pack("oci.cpu.vendor", "set")]),
      /oci\.cpu\.vendor.*string/,
    );
  });

  test("rejects a pack alias that names a built-in alias with another type", () => {
    throwsValidation(
      () =>
        createCatalog([pack("org.example.kernel", "string", { aliases: ["oci.kernel.versions"] })]),
      /oci\.kernel\.version/,
    );
  });

  test("keeps the built-in definition when a pack repeats a built-in label with the same type", () => {
    const catalog = createCatalog([pack("oci.os.glibc", "version", { summary: "changed" })]);
    assert.equal(catalog.get("oci.os.glibc")?.source, "oci");
    assert.notEqual(catalog.get("oci.os.glibc")?.summary, "changed");
    assert.equal(catalog.list().length, BUILTIN_LABELS.length);
  });

  test("leaves a built-in alias with the built-in when a pack label of the same type claims it", () => {
    const catalog = createCatalog([
      pack("org.example.kernel", "version", { aliases: ["oci.kernel.versions"] }),
    ]);
    assert.equal(catalog.canonicalName("oci.kernel.versions"), "oci.kernel.version");
    assert.deepEqual(catalog.get("org.example.kernel")?.aliases, []);
  });

  test("rejects a pack label named after a reserved set key", () => {
    throwsValidation(() => createCatalog([pack("score", "quantity")]), /reserved/);
    throwsValidation(
      () => createCatalog([pack("org.example.x", "string", { aliases: ["tags"] })]),
      /reserved/,
    );
  });

  test("lets a later pack replace an earlier pack's label of the same name", () => {
    const catalog = createCatalog([
      pack("org.example.tool.version", "version", { summary: "first" }),
      pack("org.example.tool.version", "string", { summary: "second" }),
    ]);
    assert.equal(catalog.get("org.example.tool.version")?.summary, "second");
    assert.equal(catalog.get("org.example.tool.version")?.type, "string");
    assert.equal(catalog.list().filter((d) => d.name === "org.example.tool.version").length, 1);
  });

  test("moves an alias to the later pack label that claims it", () => {
    const catalog = createCatalog([
      pack("org.example.first", "string", { aliases: ["org.example.shared"] }),
      pack("org.example.second", "string", { aliases: ["org.example.shared"] }),
    ]);
    assert.equal(catalog.canonicalName("org.example.shared"), "org.example.second");
    assert.deepEqual(catalog.get("org.example.first")?.aliases, []);
  });

  test("drops an earlier label whose name a later pack label takes as an alias", () => {
    const catalog = createCatalog([
      pack("org.example.old-name", "version"),
      pack("org.example.new-name", "version", { aliases: ["org.example.old-name"] }),
    ]);
    assert.equal(catalog.canonicalName("org.example.old-name"), "org.example.new-name");
    assert.equal(catalog.list().filter((d) => d.source === "pack").length, 1);
  });

  test("does not change the built-in catalog seen by other callers", () => {
    createCatalog([pack("org.example.tool.version", "version")]);
    assert.equal(createCatalog().get("org.example.tool.version"), undefined);
  });
});
