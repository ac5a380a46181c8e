// The orchestrator's own logger port; the extension passes an output channel, the CLI stderr.
// Secrets are masked before anything reaches a sink.

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export const nullLogger: Logger = { info() {}, warn() {}, error() {} };

const SECRET_SHAPES: RegExp[] = [
  /\bsk-ant-[A-Za-z0-9_-]{8,}/g,
  /\bsk-[A-Za-z0-9_-]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{20,}/g,
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g,
];
const SECRET_ASSIGNMENT = /\b((?:[A-Z0-9_]*(?:API_KEY|AUTH_TOKEN|OAUTH_TOKEN|SECRET|PASSWORD)(?:_[A-Z0-9]+)*|[a-z0-9_]*(?:api_key|auth_token|oauth_token|secret|password)(?:_[a-z0-9]+)*)\s*[=:]\s*)("?)[^\s"']{4,}\2/g;

/** Masks well-known secret shapes, KEY=value assignments and the given secret values. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join('***');
  out = out.replace(SECRET_ASSIGNMENT, (_m, key: string, q: string) => `${key}${q}***${q}`);
  for (const re of SECRET_SHAPES) out = out.replace(re, '***');
  return out;
}

/** The values of env vars that look like secrets, to mask in logs and transcripts. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env)
    .filter(([k, v]) => v && /KEY|TOKEN|SECRET|PASSWORD/i.test(k))
    .map(([, v]) => v as string);
}

export function consoleLogger(prefix = 'huskies'): Logger {
  const stamp = () => new Date().toISOString().slice(11, 19);
  return {
    info: (m) => process.stderr.write(`${stamp()} ${prefix} ${redact(m)}\n`),
    warn: (m) => process.stderr.write(`${stamp()} ${prefix} warn: ${redact(m)}\n`),
    error: (m) => process.stderr.write(`${stamp()} ${prefix} error: ${redact(m)}\n`),
  };
}
