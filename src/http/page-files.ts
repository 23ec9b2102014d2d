/** The page's files, served from the package (no CDN, no build step): which paths, and the login page's template. */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';

const assets = join(packageRoot, 'src/http/dashboard');

export interface PageFile {
  readonly path: string;
  readonly type: string;
}

/**
 * The page may show its own pictures and reach its own server (the relay included), nothing else, and never in a
 * frame (mqtt.js runs its timers in a worker it makes from a blob). `same-origin`: a browser then sends the page's
 * Origin with its forms (no-referrer would make it "null"), which the login and logout check.
 */
export const pageHeaders = {
  'content-security-policy': "default-src 'self'; img-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

const script = 'text/javascript; charset=utf-8';

/** Path → file. The page's modules are listed one by one: nothing else under the folder is served. */
export function pageFiles(): Readonly<Record<string, PageFile>> {
  // mqtt's exports map `./dist/*` to `./dist/*.js`: the browser bundle is named without its extension.
  const mqttBundle = createRequire(import.meta.url).resolve('mqtt/dist/mqtt.min');
  const modules = ['app.js', 'alarms.js', 'chart.js', 'clock.js', 'controls.js'];
  return {
    '/': { path: join(assets, 'index.html'), type: 'text/html; charset=utf-8' },
    '/style.css': { path: join(assets, 'style.css'), type: 'text/css; charset=utf-8' },
    '/mqtt.min.js': { path: mqttBundle, type: script },
    ...Object.fromEntries(modules.map((m) => [`/${m}`, { path: join(assets, m), type: script }])),
  };
}

/** The fleet page's files: fed by /fleet.json over plain HTTP, so it needs no MQTT WebSocket. */
export function fleetFiles(): Readonly<Record<string, PageFile>> {
  return {
    '/fleet': { path: join(assets, 'fleet.html'), type: 'text/html; charset=utf-8' },
    '/fleet.js': { path: join(assets, 'fleet.js'), type: script },
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** login.html with `message` in its message line (empty: none). */
export async function loginPage(message: string): Promise<string> {
  const html = await readFile(join(assets, 'login.html'), 'utf8');
  return html.replace('<!--message-->', message === '' ? '' : `<p class="message" role="alert">${escapeHtml(message)}</p>`);
}
