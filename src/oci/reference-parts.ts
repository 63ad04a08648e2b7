// Why one part of a reference (registry host, repository path, tag, image-layout tag, digest) is
// invalid, worded for the user. reference.ts cuts a reference into its parts; their rules are here.
import { digestProblem } from "./digest.js";
import { describeChar } from "./describe-char.js";

const TAG_MAX = 128;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV6_HOST = /^\[[a-fA-F0-9:]+\]$/;
const TAG = /^\w[\w.-]*$/;
// image-spec ref.name, minus "@", which ocicompat reserves for the digest.
const LAYOUT_TAG_COMPONENT = /^[A-Za-z0-9]+(?:(?:[-._:+]|--)[A-Za-z0-9]+)*$/;

export function registryProblem(registry: string): string | undefined {
  let host = registry;
  let port: string | undefined;
  if (registry.startsWith("[")) {
    const close = registry.indexOf("]");
    if (close < 0) return `registry "${registry}" has an unclosed "[" in its IPv6 address`;
    host = registry.slice(0, close + 1);
    const after = registry.slice(close + 1);
    if (after !== "") {
      if (!after.startsWith(":")) {
        return `registry "${registry}" has "${after}" after its IPv6 address; only ":PORT" may follow`;
      }
      port = after.slice(1);
    }
    if (!IPV6_HOST.test(host)) {
      return `registry "${registry}" has an invalid IPv6 address: only hex digits and ":" may appear inside [ ]`;
    }
  } else {
    const colon = registry.indexOf(":");
    if (colon >= 0) {
      host = registry.slice(0, colon);
      port = registry.slice(colon + 1);
    }
    if (host === "") return `registry "${registry}" has an empty host name`;
    for (const label of host.split(".")) {
      if (label === "") {
        return `registry host "${host}" has an empty label (a leading, trailing or doubled ".")`;
      }
      if (!DOMAIN_LABEL.test(label)) {
        return `registry host "${host}" has an invalid label "${label}": labels are letters, digits and "-", and do not start or end with "-"`;
      }
    }
  }
  if (port === undefined) return undefined;
  if (port === "") return `registry "${registry}" has an invalid port: nothing follows ":"`;
  if (!/^[0-9]+$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return `registry "${registry}" has an invalid port "${clip(port)}": a port is a number from 1 to 65535`;
  }
  return undefined;
}

export function repositoryProblem(repository: string): string | undefined {
  if (repository !== repository.toLowerCase()) {
    return `repository name "${clip(repository)}" must be lowercase`;
  }
  for (const component of repository.split("/")) {
    if (component === "") {
      return `repository "${clip(repository)}" has an empty path component (a leading, trailing or doubled "/")`;
    }
    if (!PATH_COMPONENT.test(component)) return pathComponentProblem(component);
  }
  return undefined;
}

function pathComponentProblem(component: string): string {
  const bad = /[^a-z0-9._-]/.exec(component);
  if (bad) {
    return `repository path component "${clip(component)}" contains ${describeChar(bad[0])}; allowed are lowercase letters, digits, ".", "_" and "-"`;
  }
  if (!/^[a-z0-9]/.test(component) || !/[a-z0-9]$/.test(component)) {
    return `repository path component "${clip(component)}" must start and end with a lowercase letter or digit`;
  }
  return `repository path component "${clip(component)}" has an invalid separator: use one ".", one or two "_", or any number of "-" between letters and digits`;
}

export function tagProblem(tag: string): string | undefined {
  if (tag === "") return 'tag is empty: nothing follows ":"';
  const bad = /[^\w.-]/.exec(tag);
  if (bad) {
    return `tag "${clip(tag)}" contains ${describeChar(bad[0])} at position ${bad.index + 1}; tags allow letters, digits, "_", "." and "-"`;
  }
  if (!TAG.test(tag)) {
    return `tag "${clip(tag)}" starts with "${tag[0]}"; a tag must start with a letter, digit or "_"`;
  }
  if (tag.length > TAG_MAX) {
    return `tag is ${tag.length} characters long; the limit is ${TAG_MAX}`;
  }
  return undefined;
}

export function invalidDigest(digest: string): string | undefined {
  const problem = digestProblem(digest);
  return problem === undefined ? undefined : `invalid digest: ${problem}`;
}

export function layoutTagProblem(tag: string): string | undefined {
  if (tag === "") return 'tag is empty: nothing follows ":"';
  const bad = /[^A-Za-z0-9._:+/-]/.exec(tag);
  if (bad) {
    return `tag "${clip(tag)}" contains ${describeChar(bad[0])} at position ${bad.index + 1}; image-layout tags allow letters, digits, "/", and the separators ".", "_", ":", "+", "-" and "--"`;
  }
  for (const component of tag.split("/")) {
    if (!LAYOUT_TAG_COMPONENT.test(component)) {
      return `tag "${clip(tag)}" is not a valid image-layout name: each "/"-separated part must start and end with a letter or digit, with one separator (".", "_", ":", "+", "-" or "--") between them`;
    }
  }
  return undefined;
}

export function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
