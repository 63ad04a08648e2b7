// NVIDIA_REQUIRE_* → oci.gpu.nvidia.driver alternatives. The real value is the NVIDIA_REQUIRE_CUDA
// of NVIDIA's CUDA 12.8.1 images (nvidia/cuda:12.8.1-*-ubuntu22.04 image config `Env`, as
// published by NVIDIA; see test/support/infer-images.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  driverRuleOf,
  nvidiaRequirements,
  parseRequire,
} from "../../../src/compat/infer/nvidia-require.js";
import { NVIDIA_REQUIRE_CUDA_12_8 } from "../../support/infer-images.js";

describe("NVIDIA_REQUIRE_* grammar", () => {
  it("reads a space as OR and a comma as AND", () => {
    const { alternatives, problems } = parseRequire(
      "cuda>=12.8 brand=tesla,driver>=470,driver<471",
    );
    assert.deepEqual(problems, []);
    assert.equal(alternatives.length, 2);
    assert.deepEqual(
      alternatives[1]?.constraints.map((c) => [c.key, c.op, c.value]),
      [
        ["brand", "=", "tesla"],
        ["driver", ">=", "470"],
        ["driver", "<", "471"],
      ],
    );
  });

  it("turns each alternative into one driver value", () => {
    const table: [string, string | undefined][] = [
      ["cuda>=12.8", ">=570.26"],
      ["cuda>=12.8.1", ">=570.26"],
      ["cuda>=11.0", ">=450.36.06"],
      ["driver>=470,driver<471", ">=470, <471"],
      ["brand=grid,driver>=535,driver<536", ">=535, <536"],
      ["cuda>=99.0", undefined],
      ["arch>=7.5", undefined],
      ["cuda<12.0", undefined],
    ];
    for (const [text, value] of table) {
      const alt = parseRequire(text).alternatives[0];
      assert.ok(alt, text);
      assert.equal(driverRuleOf(alt).value, value, text);
    }
  });

  it("reports constraints that have no label instead of dropping them silently", () => {
    const alt = parseRequire("brand=tesla,arch>=8.0,driver>=535").alternatives[0]!;
    const rule = driverRuleOf(alt);
    assert.equal(rule.value, ">=535");
    assert.deepEqual(
      rule.dropped.map((d) => d.text),
      ["brand=tesla", "arch>=8.0"],
    );
  });

  it("reports malformed constraints as problems", () => {
    const { problems } = parseRequire("cuda>=12.8 gpu=a100");
    assert.deepEqual(
      problems.map((p) => p.text),
      ["gpu=a100"],
    );
  });

  it("parses NVIDIA's published CUDA 12.8 value into 61 alternatives and 6 distinct driver rules", () => {
    const { alternatives, problems } = parseRequire(NVIDIA_REQUIRE_CUDA_12_8);
    assert.deepEqual(problems, []);
    assert.equal(alternatives.length, 61);
    const values = new Set(alternatives.map((a) => driverRuleOf(a).value));
    assert.deepEqual(
      [...values],
      [">=570.26", ">=470, <471", ">=535, <536", ">=550, <551", ">=560, <561", ">=565, <566"],
    );
  });

  it("takes every NVIDIA_REQUIRE_ variable, and none when NVIDIA_DISABLE_REQUIRE is true", () => {
    const env = [
      "PATH=/bin",
      "NVIDIA_REQUIRE_CUDA=cuda>=12.0",
      "NVIDIA_REQUIRE_DRIVER=driver>=535",
    ];
    assert.deepEqual(
      nvidiaRequirements(env).map((r) => r.name),
      ["NVIDIA_REQUIRE_CUDA", "NVIDIA_REQUIRE_DRIVER"],
    );
    assert.deepEqual(nvidiaRequirements([...env, "NVIDIA_DISABLE_REQUIRE=true"]), []);
  });

  it("reads NVIDIA_DISABLE_REQUIRE as Go's ParseBool does: yes or tRuE do not disable anything", () => {
    const env = ["NVIDIA_REQUIRE_CUDA=cuda>=12.2"];
    for (const on of ["1", "t", "T", "TRUE", "true", "True"]) {
      assert.deepEqual(nvidiaRequirements([...env, `NVIDIA_DISABLE_REQUIRE=${on}`]), [], on);
    }
    for (const off of ["yes", "tRuE", "on", "0", "false", ""]) {
      assert.equal(nvidiaRequirements([...env, `NVIDIA_DISABLE_REQUIRE=${off}`]).length, 1, off);
    }
  });

  it("skips NVIDIA_REQUIRE_JETPACK*, as the container toolkit does", () => {
    assert.deepEqual(
      nvidiaRequirements([
        "NVIDIA_REQUIRE_JETPACK=csv-mounts=all",
        "NVIDIA_REQUIRE_CUDA=cuda>=12.2",
      ]).map((r) => r.name),
      ["NVIDIA_REQUIRE_CUDA"],
    );
  });

  it("a legacy image with CUDA_VERSION and no NVIDIA_REQUIRE_CUDA requires cuda>=MAJOR.MINOR", () => {
    assert.deepEqual(nvidiaRequirements(["CUDA_VERSION=11.4.3"]), [
      { name: "CUDA_VERSION", value: "cuda>=11.4" },
    ]);
    assert.deepEqual(
      nvidiaRequirements(["CUDA_VERSION=11.4.3", "NVIDIA_REQUIRE_CUDA=cuda>=11.0"]).map(
        (r) => r.value,
      ),
      ["cuda>=11.0"],
    );
  });
});
