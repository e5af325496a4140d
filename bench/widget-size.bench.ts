/**
 * Size of the widget as browsers download it: the production bundles compressed with gzip -9.
 * Budget: the loader at most 3 KB, the whole chat (app + transport) at most 24 KB.
 *
 *   npx tsx bench/widget-size.bench.ts
 */
import { gzipSync } from 'node:zlib';
import { buildClientBundles } from '../server/client-bundles.ts';

const bundles = await buildClientBundles();
const gzip = (text: string) => gzipSync(text, { level: 9 }).length;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const rows = [
  ['loader (/widget.js)', bundles.loader, 3 * 1024],
  ['chat app (Preact + socket.io-client + app)', bundles.widgetApp, 24 * 1024],
] as const;
console.log(`# widget size — ${new Date().toISOString()}`);
let over = false;
for (const [name, text, budget] of rows) {
  const size = gzip(text);
  over ||= size > budget;
  console.log(`${name}: ${kb(text.length)} minified, ${kb(size)} gzip -9 (budget ${kb(budget)})`);
}
process.exitCode = over ? 1 : 0;
