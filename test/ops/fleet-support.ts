// Fleets for the fleet tests, built by code. The object shapes follow the API types:
// * `kubectl get nodes -o json`: a v1 List of Node objects (k8s.io/api/core/v1 types.go: Node,
//   NodeStatus.capacity/allocatable, NodeSystemInfo.kernelVersion/osImage/architecture), labels
//   as NFD's nfd-master writes them (feature.node.kubernetes.io/cpu-cpuid.*, kernel-version.full).
// * `kubectl get nodefeatures -A -o json`: a List of NodeFeature objects
//   (sigs.k8s.io/node-feature-discovery/api/nfd/v1alpha1 types.go: spec.features.{flags,
//   attributes,instances}.<feature>.elements, the nfd.node.kubernetes.io/node-name label).
// * the workload dump `kubectl get pods,deployments,statefulsets,daemonsets,jobs,cronjobs -A -o
//   json`: a List of apps/v1 and batch/v1 objects with their pod templates (core/v1 PodSpec).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NodeProfile } from "../../src/compat/node-profile.js";
import {
  compatManifest,
  demoImage,
  indexBlob,
  pushToRegistry,
  variantImage,
  type DemoImage,
} from "./select-support.js";

export interface FleetImages {
  demo: DemoImage;
  /** `host/fleet/demo:1` and friends. */
  refs: { demo: string; avx2app: string; armonly: string };
}

/** Pushes the demo image, an AVX2-only image and an arm64-only image. */
export async function pushFleetImages(host: string): Promise<FleetImages> {
  const demo = demoImage("fleet");
  await pushToRegistry(host, "fleet/demo", demo.blobs, demo.index.desc, "1");

  const v3 = variantImage("avx2app", { os: "linux", architecture: "amd64", variant: "v3" });
  const compat = compatManifest(
    [{ "oci.cpu.features": "AVX2, BMI2, FMA", "oci.kernel.version": ">=5.14", score: 5 }],
    { os: "linux", architecture: "amd64", variant: "v3" },
  );
  const avx2 = indexBlob([
    {
      descriptor: v3.manifest.desc,
      platform: {
        os: "linux",
        architecture: "amd64",
        variant: "v3",
        compatibilities: compat.descriptor,
      },
    },
  ]);
  await pushToRegistry(host, "fleet/avx2app", [...v3.blobs, ...compat.blobs, avx2], avx2.desc, "1");

  const arm = variantImage("armonly", { os: "linux", architecture: "arm64" });
  const armIndex = indexBlob([
    { descriptor: arm.manifest.desc, platform: { os: "linux", architecture: "arm64" } },
  ]);
  await pushToRegistry(host, "fleet/armonly", [...arm.blobs, armIndex], armIndex.desc, "1");
  return {
    demo,
    refs: {
      demo: `${host}/fleet/demo:1`,
      avx2app: `${host}/fleet/avx2app:1`,
      armonly: `${host}/fleet/armonly:1`,
    },
  };
}

const NFD = "feature.node.kubernetes.io/";

function node(
  name: string,
  arch: string,
  kernel: string,
  nfdLabels: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/arch": arch,
        "kubernetes.io/os": "linux",
        "kubernetes.io/hostname": name,
        ...Object.fromEntries(Object.entries(nfdLabels).map(([k, v]) => [NFD + k, v])),
      },
    },
    spec: { podCIDR: "10.244.1.0/24" },
    status: {
      capacity: { cpu: "64", memory: "263921476Ki", pods: "110", "nvidia.com/gpu": "0" },
      allocatable: { cpu: "63500m", memory: "263319076Ki", pods: "110" },
      nodeInfo: {
        architecture: arch,
        kernelVersion: kernel,
        operatingSystem: "linux",
        osImage: kernel.includes("el8")
          ? "Red Hat Enterprise Linux 8.10 (Ootpa)"
          : "Ubuntu 24.04 LTS",
        containerRuntimeVersion: "containerd://1.7.13",
        kubeletVersion: "v1.29.4",
      },
    },
  };
}

function list(items: unknown[]): Record<string, unknown> {
  return { apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } };
}

/** Old x86 nodes (kernel 4.18, AVX only in their labels) and an arm64 node. */
export function currentNodeList(): Record<string, unknown> {
  const oldLabels = { "cpu-cpuid.AVX": "true", "cpu-model.vendor_id": "Intel" };
  return list([
    node("old-1", "amd64", "4.18.0-553.el8_10.x86_64", oldLabels),
    node("old-2", "amd64", "4.18.0-553.el8_10.x86_64", oldLabels),
    node("arm-1", "arm64", "6.1.0-18-arm64", { "cpu-model.vendor_id": "ARM" }),
    // A node the kubelet has not reported on yet: no architecture anywhere, so it is skipped.
    { apiVersion: "v1", kind: "Node", metadata: { name: "joining-1", labels: {} }, status: {} },
  ]);
}

/** New x86 nodes as the kubelet reports them (kernel 5.14); NFD's features add the CPU flags. */
export function targetNodeList(withArm: boolean): Record<string, unknown> {
  return list([
    node("new-1", "amd64", "5.14.0-427.13.1.el9_4.x86_64", { "cpu-model.vendor_id": "Intel" }),
    node("new-2", "amd64", "5.14.0-427.13.1.el9_4.x86_64", { "cpu-model.vendor_id": "Intel" }),
    ...(withArm ? [node("arm-2", "arm64", "6.1.0-18-arm64", {})] : []),
  ]);
}

const V3_FLAGS = [
  "AVX",
  "AVX2",
  "BMI1",
  "BMI2",
  "CMOV",
  "CX16",
  "F16C",
  "FMA3",
  "LAHF",
  "LZCNT",
  "MOVBE",
  "OSXSAVE",
  "POPCNT",
  "SSE",
  "SSE2",
  "SSE3",
  "SSE4",
  "SSE42",
  "SSSE3",
  "X87",
];

function nodeFeature(name: string): Record<string, unknown> {
  return {
    apiVersion: "nfd.k8s-sigs.io/v1alpha1",
    kind: "NodeFeature",
    metadata: {
      name,
      namespace: "node-feature-discovery",
      labels: { "nfd.node.kubernetes.io/node-name": name },
    },
    spec: {
      features: {
        flags: {
          "cpu.cpuid": { elements: Object.fromEntries(V3_FLAGS.map((f) => [f, {}])) },
        },
        attributes: {
          "cpu.model": { elements: { vendor_id: "Intel", family: "6", id: "143" } },
          "kernel.version": {
            elements: {
              full: "5.14.0-427.13.1.el9_4.x86_64",
              major: "5",
              minor: "14",
              revision: "0",
            },
          },
        },
        instances: {
          "pci.device": {
            elements: [{ attributes: { vendor: "15b3", device: "101d", class: "0207" } }],
          },
        },
      },
      labels: {},
    },
  };
}

export function targetNodeFeatures(): Record<string, unknown> {
  return list([nodeFeature("new-1"), nodeFeature("new-2")]);
}

/** A profile with everything the demo's v3 entry needs, glibc included (discovery's view). */
export function newProfile(name: string): NodeProfile {
  return {
    schemaVersion: 1,
    name,
    platform: { os: "linux", architecture: "amd64", variant: "v3" },
    labels: {
      "oci.cpu.vendor": "GenuineIntel",
      "oci.cpu.features": ["AVX", "AVX2", "BMI1", "BMI2", "FMA", "X86_64_V2", "X86_64_V3"],
      "oci.kernel.version": "5.14.0-427.13.1.el9_4.x86_64",
      "oci.os.glibc": "2.34",
    },
  };
}

function podTemplate(containers: string[], init: string[] = []): Record<string, unknown> {
  return {
    metadata: { labels: { app: "x" } },
    spec: {
      ...(init.length
        ? { initContainers: init.map((image, i) => ({ name: `init-${i}`, image })) }
        : {}),
      containers: containers.map((image, i) => ({ name: `c${i}`, image })),
      imagePullSecrets: [{ name: "regcred" }],
    },
  };
}

/** web (demo), db (demo as init, avx2app), report (avx2app, a CronJob), edge (armonly, a Pod). */
export function workloadDump(refs: FleetImages["refs"]): Record<string, unknown> {
  return list([
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop" },
      spec: { replicas: 3, template: podTemplate([refs.demo]) },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      // The Deployment's pod: counted through the Deployment, not twice.
      metadata: {
        name: "web-7d9f-abcde",
        namespace: "shop",
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: "web-7d9f",
            uid: "u1",
            controller: true,
          },
        ],
      },
      spec: podTemplate([refs.demo]).spec,
    },
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "db", namespace: "shop" },
      spec: { serviceName: "db", template: podTemplate([refs.avx2app], [refs.demo]) },
    },
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "report", namespace: "ops" },
      spec: {
        schedule: "0 * * * *",
        jobTemplate: { spec: { template: podTemplate([refs.avx2app]) } },
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "edge", namespace: "iot" },
      spec: podTemplate([refs.armonly]).spec,
    },
  ]);
}

export interface FleetFiles {
  currentNodes: string;
  targetNodes: string;
  targetNodesWithArm: string;
  targetFeatures: string;
  profilesDir: string;
  dump: string;
}

export function writeFleetFiles(dir: string, refs: FleetImages["refs"]): FleetFiles {
  const files: FleetFiles = {
    currentNodes: join(dir, "nodes.json"),
    targetNodes: join(dir, "target-nodes.json"),
    targetNodesWithArm: join(dir, "target-nodes-arm.json"),
    targetFeatures: join(dir, "target-nodefeatures.json"),
    profilesDir: join(dir, "profiles"),
    dump: join(dir, "workloads.json"),
  };
  const write = (file: string, value: unknown): void =>
    writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  write(files.currentNodes, currentNodeList());
  write(files.targetNodes, targetNodeList(false));
  write(files.targetNodesWithArm, targetNodeList(true));
  write(files.targetFeatures, targetNodeFeatures());
  mkdirSync(files.profilesDir, { recursive: true });
  write(join(files.profilesDir, "new-3.json"), newProfile("new-3"));
  write(join(files.profilesDir, "new-4.json"), newProfile("new-4"));
  writeFileSync(join(files.profilesDir, "broken.json"), "{ not json");
  write(files.dump, workloadDump(refs));
  return files;
}
