// Inference for one image manifest: its config (Env, Entrypoint, Cmd, platform) and its layers,
// streamed in order into one file view, then analysed (compat/infer/analyze.ts). Only this
// manifest's layers are fetched.
import { analyze, type Finding, type Inference } from "../../compat/infer/analyze.js";
import { applyLayer, emptyView } from "../../compat/infer/file-view.js";
import { platformFromConfig, type EntryPlatform } from "../../compat/index-edit.js";
import {
  fetchBytes,
  type CallOptions,
  type ContentDescriptor,
  type Store,
} from "../../content/store.js";
import { OcicompatError } from "../../oci/errors.js";
import { followableDescriptor } from "../../oci/followed-descriptor.js";
import { parseIJson } from "../../oci/ijson.js";
import { isObject, type Json } from "../../oci/json-value.js";
import { compressionOf } from "./decompress.js";
import { newProgress, scanLayer, type ScanBounds } from "./scan-layer.js";

export interface ScannedLayer {
  digest: string;
  mediaType: string;
  size: number;
  /** False for a layer that is not a tar (it was skipped, with a finding). */
  read: boolean;
}

export interface EntryInference extends Inference {
  platform: EntryPlatform;
  manifest: ContentDescriptor;
  config: string;
  layers: ScannedLayer[];
  /** ELF files recorded and uncompressed bytes read. */
  scanned: { elfFiles: number; bytes: number };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

export async function inferManifest(
  store: Store,
  manifest: ContentDescriptor,
  entryPlatform: EntryPlatform | undefined,
  bounds: ScanBounds,
  options: CallOptions = {},
): Promise<EntryInference> {
  const subject = manifest.digest;
  const doc = parseIJson(await fetchBytes(store, manifest, undefined, options)).value;
  if (!isObject(doc))
    throw new OcicompatError("VALIDATION", "the image manifest is not a JSON object", { subject });
  const configDesc = followableDescriptor(doc["config"], "$.config", subject);
  const rawLayers = Array.isArray(doc["layers"]) ? doc["layers"] : [];
  const layers = rawLayers.map((l, i) => followableDescriptor(l, `$.layers[${i}]`, subject));
  const configDoc = parseIJson(await fetchBytes(store, configDesc, undefined, options)).value;
  const config: Json =
    isObject(configDoc) && isObject(configDoc["config"]) ? configDoc["config"] : {};
  const platform = entryPlatform ?? platformFromConfig(configDoc);
  if (platform === undefined) {
    throw new OcicompatError(
      "VALIDATION",
      "neither the index nor the image config names the platform",
      {
        subject: configDesc.digest,
      },
    );
  }

  const view = emptyView();
  const progress = newProgress();
  const scanFindings: Finding[] = [];
  const scanned: ScannedLayer[] = [];
  for (const layer of layers) {
    const compression = compressionOf(layer.mediaType);
    scanned.push({
      digest: layer.digest,
      mediaType: layer.mediaType,
      size: layer.size,
      read: compression !== undefined,
    });
    if (compression === undefined) {
      scanFindings.push({
        severity: "warning",
        code: "layer-skipped",
        message: `a layer of media type ${layer.mediaType} is not a tar layer ocicompat reads; its files are not known`,
        evidence: [{ source: layer.digest, path: "", note: layer.mediaType }],
      });
      continue;
    }
    if (progress.stoppedAtBytes) break;
    const body = await store.fetch(layer, options);
    const changes = await scanLayer(body, compression, layer.digest, view, bounds, progress);
    applyLayer(view, changes);
  }
  if (progress.stoppedAtBytes) {
    scanFindings.push({
      severity: "warning",
      code: "bound-bytes",
      message: `the scan stopped after ${bounds.maxBytes} uncompressed bytes (--max-bytes); files after that are not known`,
      evidence: [],
    });
  }
  if (progress.skippedElf > 0) {
    scanFindings.push({
      severity: "warning",
      code: "bound-files",
      message: `${progress.skippedElf} ELF file(s) beyond the first ${bounds.maxFiles} (--max-files) were not read`,
      evidence: [],
    });
  }
  for (const path of progress.notesBeyondHead) {
    scanFindings.push({
      severity: "info",
      code: "bound-head",
      message: `${path} has notes or a loader path beyond its first ${bounds.headBytes} bytes (--head-bytes); they were not read`,
      evidence: [],
    });
  }
  const inference = analyze({
    platform,
    config: configDesc.digest,
    env: strings(config["Env"]),
    entrypoint: strings(config["Entrypoint"]),
    cmd: strings(config["Cmd"]),
    view,
    scanFindings,
  });
  return {
    ...inference,
    platform,
    manifest: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size },
    config: configDesc.digest,
    layers: scanned,
    scanned: { elfFiles: progress.elfFiles, bytes: progress.bytes },
  };
}
