// Node profiles from NFD's feature export and from Kubernetes Node objects.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseYaml } from "../../src/compat/yaml.js";
import { importKubernetesNode, kubernetesQuantity } from "../../src/node/import-k8s.js";
import { importNfdFeatures } from "../../src/node/import-nfd.js";
import { nfdFeaturesOf } from "../../src/compat/nfd/features.js";
import { isOcicompatError } from "../../src/oci/errors.js";
import { HOSTS_DIR, words } from "./hosts.js";

const nfdExport = JSON.parse(
  readFileSync(join(HOSTS_DIR, "nfd-export-intel.json"), "utf8"),
) as unknown;
const k8sNode = parseYaml(readFileSync(join(HOSTS_DIR, "k8s-node-amd.yaml"), "utf8"), "node");

describe("NFD feature export", () => {
  test("the exact profile, with NFD's flag spellings plus /proc/cpuinfo's, and levels", () => {
    const result = importNfdFeatures(nfdExport, "nfd-export-intel.json");
    const { nfd, ...profile } = result.profile;
    // The raw feature sets are carried as NFD reported them, for NFD rules.
    assert.deepEqual(nfd, nfdFeaturesOf(nfdExport));
    assert.ok(nfd?.flags?.["cpu.cpuid"]?.elements["AVX512F"]);
    assert.deepEqual(profile, {
      schemaVersion: 1,
      name: "intel-spr-01",
      platform: { os: "linux", architecture: "amd64", variant: "v4" },
      labels: {
        "oci.cpu.vendor": "GenuineIntel",
        "oci.cpu.features": words(`
          ABM ADX AES AESNI AMXBF16 AMXINT8 AMXTILE AVX AVX2 AVX512BF16 AVX512BW AVX512CD
          AVX512DQ AVX512F AVX512FP16 AVX512VL BMI1 BMI2 CLMUL CMOV CX16 F16C FMA FMA3 FPU LAHF
          LAHFLM LZCNT MOVBE OSXSAVE PCLMULQDQ PNI POPCNT SSE SSE2 SSE3 SSE4 SSE41 SSE42 SSSE3
          X86_64_V2 X86_64_V3 X86_64_V4 X87`),
        "oci.cpu.family": 6,
        "oci.cpu.model-id": 143,
        "oci.kernel.version": "5.14.0-427.13.1.el9_4.x86_64",
        "oci.kernel.configurations": ["NO_HZ", "NO_HZ_FULL", "PREEMPT_DYNAMIC"],
        "oci.kernel.modules": ["fuse", "loop", "mlx5_core", "mlx5_ib"],
        "oci.kernel.selinux": true,
        "oci.os.id": "rhel",
        "oci.os.version": "9.4",
        "oci.pci.devices": ["10de.2330", "15b3.101d", "8086.09a2"],
        "oci.pci.classes": ["0207", "0302", "0600"],
        "oci.usb.devices": ["1d6b.0002"],
        "oci.memory.numa-nodes": 2,
        "oci.memory.hugepages": 16 * 2 ** 30,
        "oci.system.product": "PowerEdge R760",
        "org.example.site.zone": "lab-a",
      },
    });
    assert.deepEqual(result.unmapped, [
      "cpu.rdt",
      "cpu.topology",
      "memory.swap",
      "system.dmiid.sys_vendor",
      "network.device",
    ]);
    assert.equal(result.sources["oci.cpu.vendor"], "cpu.model.vendor_id");
    assert.equal(result.sources["oci.kernel.modules"], "kernel.enabledmodule");
    assert.deepEqual(result.devices.pci?.length, 3);
  });

  test("a NodeFeature object is read from its spec, named by its node-name label", () => {
    const object = {
      apiVersion: "nfd.k8s-sigs.io/v1alpha1",
      kind: "NodeFeature",
      metadata: { name: "x", labels: { "nfd.node.kubernetes.io/node-name": "node-1" } },
      spec: {
        features: {
          flags: { "cpu.cpuid": { elements: { ASIMD: {}, FP: {}, SVE: {} } } },
          attributes: { "cpu.model": { elements: { vendor_id: "ARM", family: "0", id: "0" } } },
          instances: {},
        },
        labels: {},
      },
    };
    const result = importNfdFeatures(object, "nf.yaml");
    assert.equal(result.profile.name, "node-1");
    assert.deepEqual(result.profile.platform, { os: "linux", architecture: "arm64" });
    assert.equal(result.profile.labels["oci.cpu.vendor"], "0x41");
    assert.deepEqual(result.profile.labels["oci.cpu.features"], ["ASIMD", "FP", "SVE"]);
  });

  test("without CPU flags the architecture must be given", () => {
    const bare = { attributes: { "kernel.version": { elements: { full: "6.1.0" } } } };
    assert.throws(
      () => importNfdFeatures(bare, "bare.json"),
      (e: unknown) => isOcicompatError(e) && e.code === "USAGE" && /--platform/.test(e.message),
    );
    const result = importNfdFeatures(bare, "bare.json", { platform: "linux/arm64", name: "bare" });
    assert.deepEqual(result.profile, {
      schemaVersion: 1,
      name: "bare",
      platform: { os: "linux", architecture: "arm64" },
      labels: { "oci.kernel.version": "6.1.0" },
      nfd: bare,
    });
  });

  test("something else is refused", () => {
    assert.throws(
      () => importNfdFeatures({ kind: "Pod" }, "pod.json"),
      (e: unknown) => isOcicompatError(e) && e.code === "VALIDATION" && e.subject === "pod.json",
    );
  });
});

describe("Kubernetes Node", () => {
  test("the exact profile from NFD labels and kubelet status, and the labels that do not map", () => {
    const result = importKubernetesNode(k8sNode, "k8s-node-amd.yaml");
    assert.deepEqual(result.profile, {
      schemaVersion: 1,
      name: "genoa-gpu-07",
      // NFD's labels hide BMI2, POPCNT and friends, so they prove no x86-64 level.
      platform: { os: "linux", architecture: "amd64" },
      labels: {
        "oci.cpu.vendor": "AuthenticAMD",
        "oci.cpu.features": words("AES AESNI AVX2 AVX512BW AVX512F AVX512VL FMA FMA3"),
        "oci.cpu.count": 192,
        "oci.cpu.family": 25,
        "oci.cpu.model-id": 17,
        "oci.kernel.version": "6.5.0-35-generic",
        "oci.kernel.configurations": ["NO_HZ", "NO_HZ_IDLE"],
        "oci.os.id": "ubuntu",
        "oci.os.version": "22.04",
        "oci.pci.classes": ["0300", "0380"],
        "oci.memory.total": 792393728 * 1024,
        "oci.memory.hugepages": 2 * 2 ** 30,
      },
    });
    assert.deepEqual(result.unmapped, [
      "feature.node.kubernetes.io/cpu-hardware_multithreading",
      "feature.node.kubernetes.io/memory-numa",
      "feature.node.kubernetes.io/storage-nonrotationaldisk",
      "node.kubernetes.io/instance-type",
      "topology.kubernetes.io/zone",
    ]);
    assert.equal(result.sources["oci.kernel.version"], "status.nodeInfo.kernelVersion");
    assert.deepEqual(result.devices.pci, [
      { vendor: "1a03", class: "0300" },
      { vendor: "1002", class: "0380" },
    ]);
  });

  test("a List of one Node, GPU feature discovery's driver labels, device IDs in PCI labels", () => {
    const list = {
      kind: "List",
      items: [
        {
          kind: "Node",
          metadata: {
            name: "dgx-01",
            labels: {
              "kubernetes.io/arch": "amd64",
              "kubernetes.io/os": "linux",
              "nvidia.com/cuda.driver.major": "535",
              "nvidia.com/cuda.driver.minor": "154",
              "nvidia.com/cuda.driver.rev": "05",
              "feature.node.kubernetes.io/pci-0302_10de_2330.present": "true",
              "feature.node.kubernetes.io/usb-ff_0403_6001.present": "true",
              "feature.node.kubernetes.io/kernel-selinux.enabled": "true",
            },
          },
        },
      ],
    };
    const result = importKubernetesNode(list, "list.json");
    assert.deepEqual(result.profile.labels, {
      "oci.kernel.selinux": true,
      "oci.pci.devices": ["10de.2330"],
      "oci.pci.classes": ["0302"],
      "oci.usb.devices": ["0403.6001"],
      "oci.gpu.nvidia.driver": "535.154.05",
    });
    assert.deepEqual(result.unmapped, []);
  });

  test("not a Node, or a List of several, is refused", () => {
    assert.throws(
      () => importKubernetesNode({ kind: "Pod", metadata: {} }, "pod.yaml"),
      (e: unknown) => isOcicompatError(e) && e.code === "VALIDATION",
    );
    assert.throws(
      () => importKubernetesNode({ kind: "List", items: [{}, {}] }, "two.yaml"),
      (e: unknown) => isOcicompatError(e) && /holds 2 objects/.test(e.message),
    );
  });

  test("Kubernetes quantities", () => {
    assert.equal(kubernetesQuantity("792393728Ki"), 792393728 * 1024);
    assert.equal(kubernetesQuantity("2Gi"), 2 * 2 ** 30);
    assert.equal(kubernetesQuantity("192"), 192);
    assert.equal(kubernetesQuantity("500m"), 0.5);
    assert.equal(kubernetesQuantity("1e3"), undefined);
  });
});
