import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

/** The browser code this server serves, built in memory at start-up (no build step to forget). */
export interface ClientBundles {
  /** `/widget.js`: the tiny loader a page embeds. */
  loader: string;
  /** The chat app (Preact + socket.io-client) the widget's iframe loads. */
  widgetApp: string;
  /** The rep console. */
  consoleApp: string;
}

const entry = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function buildClientBundles(): Promise<ClientBundles> {
  const options: BuildOptions = {
    bundle: true,
    minify: true,
    write: false,
    format: 'iife',
    target: ['es2020'],
    legalComments: 'none',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    define: { 'process.env.NODE_ENV': '"production"' },
  };
  const text = async (file: string) =>
    (await build({ ...options, entryPoints: [entry(file)] })).outputFiles![0]!.text;
  const [loader, widgetApp, consoleApp] = await Promise.all([
    text('../widget/loader.ts'),
    text('../widget/app/main.tsx'),
    text('../console/app/main.tsx'),
  ]);
  return { loader, widgetApp, consoleApp };
}
