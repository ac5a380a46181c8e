// Builds the HTML document of a webview (board or agent output) with a strict
// Content-Security-Policy. Takes plain strings, never imports 'vscode', so it is unit-tested.
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** webview.cspSource: the one origin local resources are served from. */
  cspSource: string;
  scriptUri: string;
  styleUris: string[];
  /**
   * The script's own text, put in the document (with the nonce) instead of loading scriptUri: the page
   * runs without a fetch through the webview's service worker first. Text that could end the element
   * early is not inlined (scriptUri is loaded instead).
   */
  scriptText?: string;
  /** The style sheets' texts, in the document instead of styleUris (same rule). */
  styleTexts?: string[];
  title: string;
  /** The script nonce; a fresh one when omitted. */
  nonce?: string;
  /**
   * Data the page reads at start-up (JSON in a non-executed <script type="application/json"
   * id="huskies-data">), so it can paint before its first message round trip with the host.
   */
  data?: unknown;
  /** A script the page loads itself once it has painted (on <body data-after-paint>). */
  afterPaintUri?: string;
}

/** JSON that cannot end the <script> element holding it ("</script>", "<!--" need a "<"). */
export function jsonForScript(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

/** 128 random bits from the OS CSPRNG, hex-encoded (a valid CSP nonce in any attribute). */
export function makeNonce(): string {
  return randomBytes(16).toString('hex');
}

const NONCE = /^[A-Za-z0-9+/_-]{16,}={0,2}$/;
// One source expression of webview.cspSource, which VS Code gives as e.g.
// "'self' https://*.vscode-cdn.net": 'self', a scheme ("vscode-resource:") or a host source.
// Anything else (';', quotes other than 'self', 'unsafe-*', a bare '*', markup) is refused.
const SOURCE_EXPR =
  /^(?:'self'|[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/[A-Za-z0-9*._-]+(?::[0-9*]+)?(?:\/[A-Za-z0-9._~%/-]*)?)?|[A-Za-z0-9][A-Za-z0-9*._-]*(?::[0-9*]+)?|\*\.[A-Za-z0-9._-]+)$/;

function isCspSource(s: string): boolean {
  const parts = s.trim().split(/ +/);
  return s.trim() !== '' && !/[\t\r\n]/.test(s) && parts.every((p) => SOURCE_EXPR.test(p));
}

/**
 * Whether text can be the body of a <script> element and end only where we end it: no "</script",
 * and no "<script" after a "<!--" before its "-->" (which would make the parser skip our "</script>").
 */
export function fitsInScript(text: string): boolean {
  return !/<\/script/i.test(text) && !/<!--(?:(?!-->)[\s\S])*?<script[\s/>]/i.test(text);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function webviewHtml(opts: WebviewHtmlOptions): string {
  const { cspSource, scriptUri, styleUris, title } = opts;
  if (!isCspSource(cspSource)) throw new Error(`webviewHtml: not a CSP source expression: ${JSON.stringify(cspSource)}`);
  const nonce = opts.nonce ?? makeNonce();
  if (!NONCE.test(nonce)) throw new Error('webviewHtml: nonce must be at least 16 base64 characters');
  // A second nonce, for <style> elements only, published to the page in <meta property="csp-nonce">:
  // the toolkit's FAST runtime (fast-web-utilities canUseFocusVisible) briefly inserts a <style>
  // element and stamps it with that meta's nonce. This keeps 'unsafe-inline' out of style-src;
  // the component styles themselves go through constructable stylesheets (adoptedStyleSheets),
  // which style-src does not govern. Separate from the script nonce so that reading the meta
  // never reveals the nonce that authorizes scripts.
  const styleNonce = makeNonce();
  const csp = [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${styleNonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `base-uri 'none'`,
    `form-action 'none'`,
  ].join('; ');
  // Every part of csp was validated above, so it needs no escaping inside the attribute.
  const inlineStyles = opts.styleTexts?.every((t) => !/<\/style/i.test(t)) ? opts.styleTexts : undefined;
  const styles = inlineStyles
    ? inlineStyles.map((t) => `  <style nonce="${styleNonce}">\n${t}\n</style>`).join('\n')
    : styleUris.map((u) => `  <link rel="stylesheet" href="${escapeHtml(u)}">`).join('\n');
  const script =
    opts.scriptText !== undefined && fitsInScript(opts.scriptText)
      ? `<script nonce="${nonce}">\n${opts.scriptText}\n</script>`
      : `<script nonce="${nonce}" src="${escapeHtml(scriptUri)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${csp}">
  <meta property="csp-nonce" content="${styleNonce}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
${styles}
  <title>${escapeHtml(title)}</title>
</head>
<body${opts.afterPaintUri === undefined ? '' : ` data-after-paint="${escapeHtml(opts.afterPaintUri)}"`}>
${opts.data === undefined ? '' : `  <script type="application/json" id="huskies-data">${jsonForScript(opts.data)}</script>\n`}  ${script}
</body>
</html>
`;
}
