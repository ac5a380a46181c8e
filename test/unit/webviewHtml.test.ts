import * as assert from 'node:assert/strict';
import { escapeHtml, makeNonce, webviewHtml, type WebviewHtmlOptions } from '../../src/extension/webviewHtml';

const CSP_SOURCE = "'self' https://*.vscode-cdn.net";

function opts(over: Partial<WebviewHtmlOptions> = {}): WebviewHtmlOptions {
  return {
    cspSource: CSP_SOURCE,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/board.js',
    styleUris: ['https://file+.vscode-resource.vscode-cdn.net/ext/media/board.css'],
    title: 'Huskies Board',
    ...over,
  };
}

/** The policy from the meta tag, as directive name → source list. */
function policy(html: string): Map<string, string[]> {
  const metas = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g) ?? [];
  assert.equal(metas.length, 1, 'exactly one CSP meta tag');
  const content = /content="([^"]*)"/.exec(metas[0])![1];
  const map = new Map<string, string[]>();
  for (const directive of content
    .split(';')
    .map((d) => d.trim())
    .filter(Boolean)) {
    const [name, ...sources] = directive.split(/\s+/);
    assert.ok(!map.has(name), `directive ${name} appears once`);
    map.set(name, sources);
  }
  return map;
}

describe('webviewHtml', () => {
  it('makes unique, long, attribute-safe nonces', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const n = makeNonce();
      assert.match(n, /^[0-9a-f]{32}$/);
      seen.add(n);
    }
    assert.equal(seen.size, 1000);
  });

  it('denies everything by default and allows only the webview origin, data: images and the nonce', () => {
    const p = policy(webviewHtml(opts({ nonce: 'abcdefghijklmnop0123' })));
    assert.deepEqual(p.get('default-src'), ["'none'"]);
    assert.deepEqual(p.get('script-src'), ["'nonce-abcdefghijklmnop0123'"]);
    assert.deepEqual(p.get('img-src'), ["'self'", 'https://*.vscode-cdn.net', 'data:']);
    assert.deepEqual(p.get('font-src'), ["'self'", 'https://*.vscode-cdn.net']);
    assert.deepEqual(p.get('base-uri'), ["'none'"]);
    assert.deepEqual(p.get('form-action'), ["'none'"]);
    const style = p.get('style-src')!;
    assert.deepEqual(style.slice(0, 2), ["'self'", 'https://*.vscode-cdn.net']);
    assert.equal(style.length, 3);
    assert.match(style[2], /^'nonce-[0-9a-f]{32}'$/);
  });

  it('never allows inline or eval code, remote hosts, wildcards or connections', () => {
    const html = webviewHtml(opts());
    const p = policy(html);
    const allowed = new Set(["'self'", 'https://*.vscode-cdn.net', 'data:', "'none'"]);
    for (const [name, sources] of p) {
      for (const s of sources) {
        assert.ok(allowed.has(s) || /^'nonce-[0-9a-f]{32}'$/.test(s), `${name} allows ${s}`);
      }
    }
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval|unsafe-hashes|strict-dynamic/);
    assert.doesNotMatch(html, /https?:\/\/(?!\*\.vscode-cdn\.net|file\+\.vscode-resource\.vscode-cdn\.net)/, 'no other http(s) origin anywhere in the page');
    assert.ok(!p.has('connect-src'), 'connections fall back to default-src none');
    assert.ok(!p.has('frame-src') && !p.has('child-src'), 'no frames');
  });

  it('loads the script only with the nonce, and no inline script at all', () => {
    const html = webviewHtml(opts({ nonce: 'ZZZZyyyyXXXXwwww1234' }));
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 1);
    assert.match(scripts[0], /nonce="ZZZZyyyyXXXXwwww1234"/);
    assert.match(scripts[0], /src="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/dist\/webview\/board\.js"/);
    assert.match(html, /<script[^>]*><\/script>/, 'the script element has no inline body');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /\sstyle="/i, 'no inline style attributes');
  });

  it('carries start-up data as a non-executed JSON block that no text inside can end or turn into markup', () => {
    const evil = { text: '</script><script>alert(1)</script><!-- <SCRIPT>', 'é€😀': '\u2028\u2029', n: 3 };
    const html = webviewHtml(opts({ data: evil }));
    const blocks = html.match(/<script type="application\/json" id="huskies-data">([\s\S]*?)<\/script>/);
    assert.ok(blocks, 'one JSON block');
    assert.deepEqual(JSON.parse(blocks[1]), evil, 'the page reads back exactly what the host put in');
    assert.doesNotMatch(blocks[1], /</, 'no "<" inside the block, so nothing in the data can close it');
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.equal(scripts.length, 2, 'the data block and the nonce-carrying script only');
    assert.equal(scripts.filter((t) => /nonce=/.test(t)).length, 1);
    assert.doesNotMatch(webviewHtml(opts()), /huskies-data/, 'no block without data');
  });

  it('names a script for after the first paint on <body data-after-paint>, escaped, and nowhere without one', () => {
    const html = webviewHtml(opts({ afterPaintUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/toolkit.js?a=1&b="2"' }));
    const body = /<body([^>]*)>/.exec(html)?.[1] ?? '';
    assert.equal(body, ' data-after-paint="https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview/toolkit.js?a=1&#38;b=&#34;2&#34;"');
    assert.equal((html.match(/<script\b[^>]*>/g) ?? []).length, 1, 'not a script element: the page loads it itself, with its nonce');
    assert.match(webviewHtml(opts()), /<body>/);
  });

  it('puts the script and the style sheets in the document with their nonces; text that could end its element early is loaded by URI instead', () => {
    const html = webviewHtml(opts({ nonce: 'ZZZZyyyyXXXXwwww1234', scriptText: 'main("a < b");', styleTexts: ['body { color: red; }'] }));
    const styleNonce = /style-src [^;]*'nonce-([^']+)'/.exec(html)![1];
    assert.match(html, /<script nonce="ZZZZyyyyXXXXwwww1234">\nmain\("a < b"\);\n<\/script>/);
    assert.match(html, new RegExp(`<style nonce="${styleNonce}">\\nbody \\{ color: red; \\}\\n</style>`));
    assert.doesNotMatch(html, /<link |src=/, 'nothing to fetch');
    assert.equal(policy(html).get('script-src')!.join(' '), "'nonce-ZZZZyyyyXXXXwwww1234'", 'still no unsafe-inline');
    // A template's comment marker ("<!--…-->", as the toolkit's runtime has) is harmless and stays inline.
    assert.match(webviewHtml(opts({ scriptText: 'f(`<!--${a}:${b}-->`, "<script")' })), /<script nonce="[^"]+">\nf\(/);
    for (const bad of ['x = "</script><script>alert(1)"', 'x = "</SCRIPT >"', 'x = "<!-- <script>"; y = "-->"', 'x = "<!--"; y = "<SCRIPT/"']) {
      const h = webviewHtml(opts({ scriptText: bad }));
      assert.doesNotMatch(h, /alert|SCRIPT|<!--/, bad);
      assert.match(h, /<script nonce="[^"]+" src="https:[^"]*board\.js"><\/script>/, bad);
    }
    const h = webviewHtml(opts({ styleTexts: ['a{}', 'b{} </style><script>alert(1)</script>'] }));
    assert.doesNotMatch(h, /alert|<style/);
    assert.match(h, /<link rel="stylesheet" href="https:[^"]*board\.css">/);
  });

  it('makes a fresh script nonce per call and keeps the style nonce distinct from it', () => {
    const a = webviewHtml(opts());
    const b = webviewHtml(opts());
    const scriptNonce = (h: string): string => /script-src 'nonce-([^']+)'/.exec(h)![1];
    const styleNonce = (h: string): string => /style-src [^;]*'nonce-([^']+)'/.exec(h)![1];
    assert.notEqual(scriptNonce(a), scriptNonce(b));
    assert.notEqual(styleNonce(a), styleNonce(b));
    assert.notEqual(scriptNonce(a), styleNonce(a));
    assert.match(a, new RegExp(`<script nonce="${scriptNonce(a)}"`));
    // The toolkit reads the style nonce from this meta; the script nonce must never appear there.
    assert.match(a, new RegExp(`<meta property="csp-nonce" content="${styleNonce(a)}">`));
  });

  it('links every stylesheet and escapes the title and URIs', () => {
    const html = webviewHtml(
      opts({
        title: '</title><script>alert(1)</script> & "quotes"',
        styleUris: ['https://file+.vscode-resource.vscode-cdn.net/a.css', 'https://file+.vscode-resource.vscode-cdn.net/b.css?x="><script>'],
      }),
    );
    assert.match(html, /<title>&#60;\/title&#62;&#60;script&#62;alert\(1\)&#60;\/script&#62; &#38; &#34;quotes&#34;<\/title>/);
    assert.equal((html.match(/<script\b/g) ?? []).length, 1, 'no script smuggled in through title or URIs');
    const links = html.match(/<link rel="stylesheet" href="[^"]*">/g) ?? [];
    assert.equal(links.length, 2);
    assert.match(links[1], /b\.css\?x=&#34;&#62;&#60;script&#62;/);
  });

  it('refuses a cspSource or nonce that would widen or break the policy', () => {
    for (const cspSource of [
      '',
      '*',
      "'unsafe-inline'",
      'https://a.com; script-src *',
      'https://a.com\nscript-src',
      'a"b',
      "'self' 'unsafe-eval'",
      'https://a.com,https://b.com',
    ]) {
      assert.throws(() => webviewHtml(opts({ cspSource })), /CSP source/, JSON.stringify(cspSource));
    }
    for (const nonce of ['', 'short', "abc'; script-src *", 'abcdefghijklmnop"><x', 'abcdefghijklmnop qrs']) {
      assert.throws(() => webviewHtml(opts({ nonce })), /nonce/, JSON.stringify(nonce));
    }
    // The forms VS Code has used for cspSource are all accepted.
    for (const cspSource of [CSP_SOURCE, 'https://*.vscode-webview.net', 'vscode-resource:', 'vscode-webview://abc123']) {
      assert.doesNotThrow(() => webviewHtml(opts({ cspSource })));
    }
  });

  it('escapeHtml covers the five markup characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });

  it('does not depend on the vscode module', async () => {
    const { readFile } = await import('node:fs/promises');
    const src = await readFile(new URL('../../src/extension/webviewHtml.ts', `file://${__filename}`), 'utf8');
    assert.doesNotMatch(src, /from ['"]vscode['"]|require\(['"]vscode['"]\)/);
  });
});
