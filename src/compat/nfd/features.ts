// NFD's raw node features, shaped like a NodeFeature object's `spec.features`: flag features
// (names only), attribute features (name → value) and instance features (a list of attribute
// maps, e.g. one per PCI device). The node profile carries them in its top-level `nfd` object
// (docs/compat-language.md), because NFD rules read these sets and not ocicompat's labels.
import { Type, type Static } from "@sinclair/typebox";
import { isObject } from "../../oci/json-value.js";
import { ownValue, recordOf } from "../own-record.js";

export const NfdFeaturesSchema = Type.Object(
  {
    flags: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({ elements: Type.Record(Type.String(), Type.Object({})) }),
      ),
    ),
    attributes: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({ elements: Type.Record(Type.String(), Type.String()) }),
      ),
    ),
    instances: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Object({
          elements: Type.Array(
            Type.Object({ attributes: Type.Record(Type.String(), Type.String()) }),
          ),
        }),
      ),
    ),
  },
  { title: "NFD feature sets, as in a NodeFeature's spec.features" },
);

export type NfdFeatures = Static<typeof NfdFeaturesSchema>;

/** The elements one feature name has on a node, in each of NFD's three kinds. */
export interface NfdFeatureView {
  /** Flag names; undefined when the node has no flag feature of this name. */
  keys?: ReadonlySet<string>;
  /** Attribute values; undefined when the node has no attribute feature of this name. */
  values?: Readonly<Record<string, string>>;
  instances: readonly Readonly<Record<string, string>>[];
}

export function featureView(features: NfdFeatures, name: string): NfdFeatureView {
  const flags = features.flags === undefined ? undefined : ownValue(features.flags, name);
  const attrs = features.attributes === undefined ? undefined : ownValue(features.attributes, name);
  const inst = features.instances === undefined ? undefined : ownValue(features.instances, name);
  const view: NfdFeatureView = { instances: inst?.elements.map((e) => e.attributes) ?? [] };
  if (flags !== undefined) view.keys = new Set(Object.keys(flags.elements));
  if (attrs !== undefined) view.values = attrs.elements;
  return view;
}

/**
 * The feature sets of a NodeFeature object, of its `spec`, of `nfd export features` output or of
 * a bare `{flags, attributes, instances}`; values that are not strings are left out.
 */
export function nfdFeaturesOf(value: unknown): NfdFeatures | undefined {
  if (!isObject(value)) return undefined;
  const spec = isObject(value["spec"]) ? value["spec"] : undefined;
  const looksLike = (v: unknown): boolean =>
    isObject(v) && ("flags" in v || "attributes" in v || "instances" in v);
  const raw = [spec?.["features"], value["features"], value].find(looksLike);
  if (!isObject(raw)) return undefined;
  const out: NfdFeatures = {};
  const sets = (kind: string): [string, unknown][] =>
    isObject(raw[kind]) ? Object.entries(raw[kind]) : [];
  const elementsOf = (set: unknown): unknown => (isObject(set) ? set["elements"] : undefined);
  const strings = (v: unknown): Record<string, string> =>
    recordOf(
      isObject(v)
        ? Object.entries(v).filter((kv): kv is [string, string] => typeof kv[1] === "string")
        : [],
    );
  const flags = sets("flags").map(([name, set]): [string, { elements: Record<string, object> }] => {
    const el = elementsOf(set);
    return [name, { elements: recordOf(isObject(el) ? Object.keys(el).map((k) => [k, {}]) : []) }];
  });
  if (flags.length > 0) out.flags = recordOf(flags);
  const attributes = sets("attributes").map(
    ([name, set]): [string, { elements: Record<string, string> }] => [
      name,
      { elements: strings(elementsOf(set)) },
    ],
  );
  if (attributes.length > 0) out.attributes = recordOf(attributes);
  const instances = sets("instances").map(
    ([name, set]): [string, { elements: { attributes: Record<string, string> }[] }] => {
      const el = elementsOf(set);
      const list = Array.isArray(el) ? el : [];
      return [
        name,
        {
          elements: list.map((e: unknown) => ({
            attributes: strings(isObject(e) ? e["attributes"] : undefined),
          })),
        },
      ];
    },
  );
  if (instances.length > 0) out.instances = recordOf(instances);
  return out;
}
