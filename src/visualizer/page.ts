// The visualizer page: page.html (markup and inline CSS) and page.js (vanilla browser script), read
// once from this directory, so the image serves everything itself (no CDN, no external service).
// The Content-Security-Policy allows this script, this stylesheet (by hash) and same-origin
// requests only.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface PageAssets {
  readonly html: string;
  readonly script: string;
  readonly favicon: string;
  readonly contentSecurityPolicy: string;
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

/** A policy allowing page.js, the page's own <style> blocks and same-origin fetches, images and streams. */
export function contentSecurityPolicy(html: string): string {
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((match) => sha256(match[1] ?? ''));
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src ${styles.length > 0 ? styles.join(' ') : "'none'"}`,
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** A state box with the active marker's green: the tab icon. */
const FAVICON = [
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">',
  '<rect x="1" y="3" width="14" height="10" rx="4" fill="#aceebb" stroke="#1a7f37" stroke-width="2"/>',
  '</svg>',
].join('');

let cached: PageAssets | undefined;

/** The page's files (read on first use; they ship next to this module). */
export function pageAssets(): PageAssets {
  if (cached === undefined) {
    const html = readFileSync(new URL('./page.html', import.meta.url), 'utf8');
    const script = readFileSync(new URL('./page.js', import.meta.url), 'utf8');
    cached = { html, script, favicon: FAVICON, contentSecurityPolicy: contentSecurityPolicy(html) };
  }
  return cached;
}
