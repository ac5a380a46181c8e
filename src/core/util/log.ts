// The orchestrator's own logger port; the extension passes an output channel, the CLI stderr.
// Secrets are masked before anything reaches a sink, in plain text and in JSON-like values.

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const nullLogger: Logger = { info() {}, warn() {}, error() {} };

const SECRET_SHAPES: RegExp[] = [/\bsk-ant-[A-Za-z0-9_-]{8,}/g, /\bsk-[A-Za-z0-9_-]{16,}/g, /\bAIza[0-9A-Za-z_-]{20,}/g, /\bgh[pousr]_[A-Za-z0-9]{20,}/g];
const SECRET_ASSIGNMENT =
  /\b((?:[A-Z0-9_]*(?:API_KEY|AUTH_TOKEN|OAUTH_TOKEN|SECRET|PASSWORD)(?:_[A-Z0-9]+)*|[a-z0-9_]*(?:api_key|auth_token|oauth_token|secret|password)(?:_[a-z0-9]+)*)\s*[=:]\s*)("?)[^\s"']{4,}\2/g;
/** Every shape and assignment above contains one of these. */
const MAY_HAVE_SHAPE = /[=:]|sk-|AIza|gh[pousr]_/;
/** Shorter values are too likely to be ordinary words or numbers to be masked everywhere. */
const MIN_SECRET_LENGTH = 6;

/** Masks well-known secret shapes, KEY=value assignments and the given secret values. */
export function redact(text: string, secrets: readonly string[] = []): string {
  return redactSorted(text, longestFirst(secrets));
}

function redactSorted(text: string, sorted: readonly string[]): string {
  let out = text;
  for (const s of sorted) if (out.includes(s)) out = out.split(s).join('***');
  if (!MAY_HAVE_SHAPE.test(out)) return out; // most strings (keys, ids, words): no regex work
  out = out.replace(SECRET_ASSIGNMENT, (_m, key: string, q: string) => `${key}${q}***${q}`);
  for (const re of SECRET_SHAPES) out = out.replace(re, '***');
  return out;
}

// A secret that contains another must be masked first, or its remainder would show.
function longestFirst(secrets: readonly string[]): readonly string[] {
  if (secrets.length === 0) return secrets;
  return [...new Set(secrets)].filter((s) => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** The values of env vars that look like secrets, to mask in logs and transcripts. */
export function secretValues(env: NodeJS.ProcessEnv | Record<string, string | undefined> | undefined): string[] {
  return Object.entries(env ?? {})
    .filter(([k, v]) => v && /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|COOKIE|(?:^|_)AUTH(?:_|$)/i.test(k))
    .map(([, v]) => v as string);
}

/**
 * A copy of a JSON-like value with every string masked: values, object keys and array items at
 * any depth. The walk uses its own stack, so a value nested thousands of levels deep (a hostile
 * tool input) cannot overflow the call stack; shared and cyclic references are copied once.
 * Other objects (Dates, Buffers, class instances) are kept as they are.
 */
export function maskDeep<T>(value: T, secrets: readonly string[]): T {
  const sorted = longestFirst(secrets);
  const mask = (s: string) => redactSorted(s, sorted);
  if (typeof value === 'string') return mask(value) as T;
  if (!isContainer(value)) return value;
  const copies = new Map<object, unknown[] | Record<string, unknown>>();
  const copyOf = (src: object): unknown[] | Record<string, unknown> => {
    let c = copies.get(src);
    if (!c) {
      c = Array.isArray(src) ? new Array<unknown>(src.length) : {};
      copies.set(src, c);
      stack.push(src);
    }
    return c;
  };
  const stack: object[] = [];
  const root = copyOf(value);
  while (stack.length > 0) {
    const src = stack.pop()!;
    const dst = copies.get(src)!;
    if (Array.isArray(src)) {
      const out = dst as unknown[];
      for (let i = 0; i < src.length; i++) out[i] = leaf(src[i]);
    } else {
      const out = dst as Record<string, unknown>;
      for (const [k, v] of Object.entries(src)) setOwn(out, mask(k), leaf(v));
    }
  }
  return root as T;

  function leaf(v: unknown): unknown {
    if (typeof v === 'string') return mask(v);
    return isContainer(v) ? copyOf(v) : v;
  }
}

function isContainer(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

// A key such as "__proto__" from parsed JSON must stay a plain own property of the copy.
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Holds the secrets of one orchestrator (the values of secret-looking variables of its
 * environment and of every agent's env) and masks text and JSON-like values with them.
 */
export class Masker {
  private list: string[];

  constructor(secrets: Iterable<string> = []) {
    this.list = [...new Set(secrets)];
  }

  /** The secrets of these environments (process env, each agent's env in agents.toml). */
  static fromEnvs(...envs: (NodeJS.ProcessEnv | Record<string, string | undefined> | undefined)[]): Masker {
    return new Masker(envs.flatMap((e) => secretValues(e)));
  }

  get secrets(): readonly string[] {
    return this.list;
  }

  /** Adds more secrets (e.g. after agents.toml changed). */
  add(secrets: Iterable<string>): void {
    this.list = [...new Set([...this.list, ...secrets])];
  }

  mask(text: string): string {
    return redact(text, this.list);
  }

  maskDeep<T>(value: T): T {
    return maskDeep(value, this.list);
  }
}

export function consoleLogger(prefix = 'huskies', masker?: Masker): Logger {
  const stamp = () => new Date().toISOString().slice(11, 19);
  const m = (s: string) => (masker ? masker.mask(s) : redact(s));
  return {
    info: (s) => process.stderr.write(`${stamp()} ${prefix} ${m(s)}\n`),
    warn: (s) => process.stderr.write(`${stamp()} ${prefix} warn: ${m(s)}\n`),
    error: (s) => process.stderr.write(`${stamp()} ${prefix} error: ${m(s)}\n`),
  };
}
