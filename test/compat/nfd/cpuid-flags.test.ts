// NFD's per-architecture CPU flag names: one canonical name per flag, and every name a valid
// Kubernetes label name, so the affinity and the label export can write any of them.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalCpuFeature } from "../../../src/compat/canonical-names.js";
import { NFD_CPUID_FLAG_NAMES, nfdCpuidNames } from "../../../src/compat/nfd/cpuid-flags.js";

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

describe("NFD's CPU flag names per architecture", () => {
  for (const [arch, names] of Object.entries(NFD_CPUID_FLAG_NAMES)) {
    test(`${arch}: no two names share a canonical name, and each is a valid label name`, () => {
      const seen = new Map<string, string>();
      for (const name of names) {
        assert.match(`cpu-cpuid.${name}`, LABEL_NAME, name);
        const key = canonicalCpuFeature(name);
        assert.equal(seen.get(key), undefined, `${name} and ${seen.get(key)} are both ${key}`);
        seen.set(key, name);
      }
      assert.equal(nfdCpuidNames(arch)?.size, names.length);
    });
  }

  test("cpuinfo, Go and NFD spellings find NFD's name; 386 nodes name flags as amd64 nodes do", () => {
    assert.equal(nfdCpuidNames("amd64")?.get(canonicalCpuFeature("sse4_2")), "SSE42");
    assert.equal(nfdCpuidNames("amd64")?.get(canonicalCpuFeature("fma")), "FMA3");
    assert.equal(nfdCpuidNames("amd64")?.get(canonicalCpuFeature("3dnow")), "AMD3DNOW");
    assert.equal(nfdCpuidNames("amd64")?.get(canonicalCpuFeature("constant_tsc")), undefined);
    assert.equal(nfdCpuidNames("386"), nfdCpuidNames("amd64"));
    assert.equal(nfdCpuidNames("arm64")?.get(canonicalCpuFeature("aes")), "AES");
    assert.equal(nfdCpuidNames("arm64")?.get(canonicalCpuFeature("sve_ebf16")), "SVEEBF16");
    assert.equal(nfdCpuidNames("ppc64le")?.get(canonicalCpuFeature("arch_3_1")), "ARCH_3_1");
    assert.equal(nfdCpuidNames("riscv64"), undefined);
    assert.equal(nfdCpuidNames("toString"), undefined);
  });
});
