import { test, describe } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  ARCHITECTURE_ALIASES,
  formatPlatform,
  normalizePlatform,
  parsePlatform,
  platformsEqual,
  type PlatformSpec,
} from "../../src/oci/platform.js";
import { OcicompatError } from "../../src/oci/errors.js";

function p(os: string, architecture: string, variant?: string): PlatformSpec {
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

// [architecture, variant given, expected architecture, expected variant]
const archRules: [string, string | undefined, string, string | undefined][] = [
  // amd64 and its spellings; v1 is the baseline, higher levels are kept
  ["amd64", undefined, "amd64", undefined],
  ["x86_64", undefined, "amd64", undefined],
  ["x86-64", undefined, "amd64", undefined],
  ["AMD64", undefined, "amd64", undefined],
  ["amd64", "v1", "amd64", undefined],
  ["amd64", "1", "amd64", undefined],
  ["amd64", "v2", "amd64", "v2"],
  ["amd64", "v3", "amd64", "v3"],
  ["amd64", "v4", "amd64", "v4"],
  ["x86_64", "V3", "amd64", "v3"],
  ["amd64", "3", "amd64", "v3"],
  // 32-bit x86
  ["386", undefined, "386", undefined],
  ["i386", undefined, "386", undefined],
  ["i486", undefined, "386", undefined],
  ["i586", undefined, "386", undefined],
  ["i686", undefined, "386", undefined],
  ["i686", "sse2", "386", undefined],
  // arm64: ARMv8.0 is the baseline
  ["arm64", undefined, "arm64", undefined],
  ["aarch64", undefined, "arm64", undefined],
  ["arm64", "v8", "arm64", undefined],
  ["arm64", "8", "arm64", undefined],
  ["arm64", "v8.0", "arm64", undefined],
  ["aarch64", "8.0", "arm64", undefined],
  ["arm64", "v8.2", "arm64", "v8.2"],
  ["arm64", "8.2", "arm64", "v8.2"],
  ["arm64", "v9", "arm64", "v9"],
  ["arm64", "9.0", "arm64", "v9"],
  // 32-bit arm: no variant means v7
  ["arm", undefined, "arm", "v7"],
  ["arm", "", "arm", "v7"],
  ["arm", "5", "arm", "v5"],
  ["arm", "6", "arm", "v6"],
  ["arm", "7", "arm", "v7"],
  ["arm", "8", "arm", "v8"],
  ["arm", "v6", "arm", "v6"],
  ["armhf", undefined, "arm", "v7"],
  ["armhf", "v6", "arm", "v7"],
  ["armel", undefined, "arm", "v6"],
  ["armv5l", undefined, "arm", "v5"],
  ["armv6l", undefined, "arm", "v6"],
  ["armv7l", undefined, "arm", "v7"],
  ["armv8l", undefined, "arm", "v8"],
  // others
  ["ppc64el", undefined, "ppc64le", undefined],
  ["ppc64le", undefined, "ppc64le", undefined],
  ["riscv64", undefined, "riscv64", undefined],
  ["s390x", undefined, "s390x", undefined],
  ["mips64le", undefined, "mips64le", undefined],
  ["LoongArch64", undefined, "loongarch64", undefined],
  ["sparc64", "Custom", "sparc64", "custom"],
  ["riscv64", "1", "riscv64", "1"],
];

describe("normalizePlatform architecture and variant rules", () => {
  for (const [arch, variant, wantArch, wantVariant] of archRules) {
    const from = variant === undefined ? arch : `${arch}/${JSON.stringify(variant)}`;
    const to = wantVariant === undefined ? wantArch : `${wantArch}/${wantVariant}`;
    test(`maps ${from} to ${to}`, () => {
      assert.deepEqual(
        normalizePlatform(p("linux", arch, variant)),
        p("linux", wantArch, wantVariant),
      );
    });
  }

  test("every entry of the alias table is covered by a rule above", () => {
    const covered = new Set(archRules.map(([arch]) => arch));
    for (const { alias } of ARCHITECTURE_ALIASES) assert.ok(covered.has(alias), alias);
  });
});

describe("normalizePlatform OS rules", () => {
  const osRules: [string, string][] = [
    ["linux", "linux"],
    ["Linux", "linux"],
    ["WINDOWS", "windows"],
    ["macos", "darwin"],
    ["MacOS", "darwin"],
    ["darwin", "darwin"],
    ["freebsd", "freebsd"],
  ];
  for (const [os, want] of osRules) {
    test(`maps OS ${os} to ${want}`, () => {
      assert.equal(normalizePlatform(p(os, "amd64")).os, want);
    });
  }
});

describe("normalizePlatform as a value function", () => {
  test("does not mutate its argument", () => {
    const input: PlatformSpec = Object.freeze({
      os: "Linux",
      architecture: "x86_64",
      variant: "v1",
      osFeatures: Object.freeze(["sse4"]) as string[],
    });
    const snapshot = structuredClone(input);
    normalizePlatform(input);
    assert.deepEqual(input, snapshot);
  });

  test("keeps osVersion, osFeatures and features, copying the arrays", () => {
    const input: PlatformSpec = {
      os: "windows",
      architecture: "amd64",
      osVersion: "10.0.17763.1234",
      osFeatures: ["win32k"],
      features: ["sse4"],
    };
    const out = normalizePlatform(input);
    assert.deepEqual(out, input);
    assert.notEqual(out.osFeatures, input.osFeatures);
    assert.notEqual(out.features, input.features);
  });

  test("leaves out fields that were not given", () => {
    assert.deepEqual(Object.keys(normalizePlatform(p("linux", "amd64"))), ["os", "architecture"]);
  });
});

describe("parsePlatform", () => {
  const good: [string, PlatformSpec][] = [
    ["linux/amd64", p("linux", "amd64")],
    ["linux/amd64/v3", p("linux", "amd64", "v3")],
    ["linux/amd64/v1", p("linux", "amd64")],
    ["linux/arm64", p("linux", "arm64")],
    ["linux/arm64/v8", p("linux", "arm64")],
    ["linux/arm", p("linux", "arm", "v7")],
    ["linux/arm/6", p("linux", "arm", "v6")],
    ["linux/armhf", p("linux", "arm", "v7")],
    ["Linux/X86_64", p("linux", "amd64")],
    ["macos/aarch64", p("darwin", "arm64")],
    ["windows/amd64", p("windows", "amd64")],
    ["linux/loong64", p("linux", "loong64")],
    ["linux/my_arch.2-x", p("linux", "my_arch.2-x")],
  ];
  for (const [spec, want] of good) {
    test(`parses ${spec} to its normalised form`, () => {
      assert.deepEqual(parsePlatform(spec), want);
    });
  }

  const bad: [string, RegExp][] = [
    ["", /platform is empty: expected OS\/ARCH\[\/VARIANT\]/],
    ["amd64", /"amd64" has no architecture: expected OS\/ARCH\[\/VARIANT\], e\.g\. linux\/amd64/],
    ["linux/amd64/v3/extra", /has 4 parts: expected OS\/ARCH\[\/VARIANT\]/],
    ["linux/", /has an empty architecture/],
    ["/amd64", /has an empty OS/],
    ["linux/amd64/", /has an empty variant/],
    ["linux//v7", /has an empty architecture/],
    ["linux/amd 64", /has a space in its architecture/],
    ["windows(10.0)/amd64", /has "\(" in its OS/],
    ["linux/arm/v7+", /has "\+" in its variant/],
  ];
  for (const [spec, reason] of bad) {
    test(`rejects ${JSON.stringify(spec)} with a reason matching ${reason}`, () => {
      assert.throws(
        () => parsePlatform(spec),
        (err: unknown) =>
          err instanceof OcicompatError &&
          err.code === "INVALID_PLATFORM" &&
          err.subject === spec &&
          reason.test(err.message),
      );
    });
  }
});

describe("formatPlatform", () => {
  test("writes os/arch without a variant and os/arch/variant with one", () => {
    assert.equal(formatPlatform(p("linux", "arm64")), "linux/arm64");
    assert.equal(formatPlatform(p("linux", "amd64", "v3")), "linux/amd64/v3");
  });

  test("writes the normalised form", () => {
    assert.equal(formatPlatform(p("Linux", "x86_64", "v1")), "linux/amd64");
    assert.equal(formatPlatform(p("linux", "armhf")), "linux/arm/v7");
    assert.equal(formatPlatform(p("linux", "aarch64", "v8")), "linux/arm64");
  });

  test("round-trips through parsePlatform for every accepted spec", () => {
    for (const spec of [
      "linux/amd64",
      "linux/amd64/v4",
      "linux/arm",
      "linux/arm/v6",
      "darwin/arm64",
      "linux/riscv64",
      "linux/i686",
    ]) {
      const once = parsePlatform(spec);
      assert.deepEqual(parsePlatform(formatPlatform(once)), once, spec);
    }
  });
});

describe("platformsEqual", () => {
  const cases: [PlatformSpec, PlatformSpec, boolean][] = [
    [p("linux", "x86_64"), p("linux", "amd64"), true],
    [p("linux", "amd64", "v1"), p("linux", "amd64"), true],
    [p("linux", "amd64", "v2"), p("linux", "amd64"), false],
    [p("linux", "amd64", "v3"), p("linux", "amd64", "v2"), false],
    [p("linux", "arm"), p("linux", "arm", "v7"), true],
    [p("linux", "armhf"), p("linux", "arm", "7"), true],
    [p("linux", "armel"), p("linux", "arm", "v7"), false],
    [p("linux", "arm64", "v8"), p("linux", "aarch64"), true],
    [p("linux", "amd64"), p("windows", "amd64"), false],
    [p("macos", "arm64"), p("darwin", "arm64"), true],
    [p("linux", "amd64"), p("linux", "arm64"), false],
  ];
  for (const [a, b, want] of cases) {
    test(`${want ? "equates" : "distinguishes"} ${JSON.stringify(a)} and ${JSON.stringify(b)}`, () => {
      assert.equal(platformsEqual(a, b), want);
      assert.equal(platformsEqual(b, a), want);
    });
  }

  test("ignores osVersion and features", () => {
    assert.ok(
      platformsEqual(
        { os: "windows", architecture: "amd64", osVersion: "10.0.1" },
        { os: "windows", architecture: "amd64", osVersion: "10.0.2", features: ["x"] },
      ),
    );
  });
});

const known = [
  "linux",
  "Linux",
  "macos",
  "darwin",
  "windows",
  "amd64",
  "x86_64",
  "x86-64",
  "i386",
  "i686",
  "386",
  "arm",
  "arm64",
  "aarch64",
  "armhf",
  "armel",
  "armv6l",
  "armv7l",
  "ppc64el",
  "riscv64",
  "",
];
const variants = ["", "v1", "1", "v2", "3", "V4", "v8", "8", "8.0", "v8.2", "9.0", "5", "6", "7"];
const word = fc.oneof(
  fc.constantFrom(...known),
  fc.string({ unit: fc.constantFrom(..."aAzZ09_.-"), maxLength: 8 }),
);
const platform: fc.Arbitrary<PlatformSpec> = fc.record(
  {
    os: word,
    architecture: word,
    variant: fc.oneof(fc.constantFrom(...variants), word),
    osVersion: fc.string({ maxLength: 8 }),
    osFeatures: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
    features: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }),
  },
  { requiredKeys: ["os", "architecture"] },
);

describe("normalisation properties", () => {
  test("normalising twice gives the same platform as normalising once", () => {
    fc.assert(
      fc.property(platform, (x) => {
        const once = normalizePlatform(x);
        assert.deepEqual(normalizePlatform(once), once);
      }),
    );
  });

  test("a platform equals its own normalised form", () => {
    fc.assert(fc.property(platform, (x) => platformsEqual(x, normalizePlatform(x))));
  });

  test("formatting then parsing a well-formed platform gives its normalised form", () => {
    const part = fc.string({ unit: fc.constantFrom(..."aAzZ09_.-"), minLength: 1, maxLength: 8 });
    const spelled = fc.oneof(fc.constantFrom(...known.filter((k) => k !== "")), part);
    fc.assert(
      fc.property(
        spelled,
        spelled,
        fc.option(fc.oneof(fc.constantFrom(...variants.filter((v) => v !== "")), part), {
          nil: undefined,
        }),
        (os, arch, variant) => {
          const x = p(os, arch, variant);
          const { os: o, architecture: a, variant: v } = normalizePlatform(x);
          assert.deepEqual(parsePlatform(formatPlatform(x)), p(o, a, v));
        },
      ),
    );
  });
});
