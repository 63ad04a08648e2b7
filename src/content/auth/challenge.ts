// `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="https://auth.example/token",
// service="registry.example",scope="repository:team/app:pull,push"` or `Basic realm="x"`.
// Quoted values may hold commas, so this is a small tokenizer rather than a split.

export interface Challenge {
  /** Lowercased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercased; values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/;

/** Every challenge in a header value (usually one); malformed trailing parts are ignored. */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (header === undefined) return [];
  const challenges: Challenge[] = [];
  let rest = header.trim();
  let current: Challenge | undefined;
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, "");
    const name = TOKEN.exec(rest)?.[0];
    if (name === undefined) break;
    const after = rest.slice(name.length);
    const isParam = /^\s*=/.test(after) && current !== undefined && !/^\s*==/.test(after);
    if (!isParam) {
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
      rest = after.trimStart();
      // token68 form (`Basic dXNlcg==`): not used by registries; skip it.
      const token68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(rest);
      if (token68) rest = rest.slice(token68[0].length);
      continue;
    }
    rest = after.replace(/^\s*=\s*/, "");
    let value: string;
    if (rest.startsWith('"')) {
      let i = 1;
      value = "";
      while (i < rest.length && rest[i] !== '"') {
        if (rest[i] === "\\" && i + 1 < rest.length) i++;
        value += rest[i];
        i++;
      }
      rest = rest.slice(i + 1);
    } else {
      const m = /^[^\s,]*/.exec(rest);
      value = m?.[0] ?? "";
      rest = rest.slice(value.length);
    }
    if (current !== undefined) current.params[name.toLowerCase()] = value;
  }
  return challenges;
}
