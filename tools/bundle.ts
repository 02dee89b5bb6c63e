/**
 * `make build`'s second half: bundles the compiled program (dist/src/cli/program.js, what tsc
 * wrote) with esbuild into dist/bundle/, which src/cli/main.ts runs when it is current.
 *
 * What makes compiled modules bundle-proof:
 * - Code splitting: a command's `await import(…)` becomes a chunk of its own, so `transplant down`
 *   still loads no API server.
 * - `import.meta.url` in a module becomes that module's own URL (relative to the chunk), so a path
 *   computed from it (the CLI the seed starts node agents with, the dashboard's files, the module
 *   s3rver imports) names the same file as unbundled.
 * - A CommonJS module that reads files beside it (`__dirname`: etcd3's .proto files) gets its own
 *   `__dirname` and `__filename`; `require` is Node's, for the packages left out.
 * - Left out (`external`): native addons (better-sqlite3), and packages read as files at run time
 *   (kubernetes-models' declarations and validators, s3rver's command line, the browser driver of
 *   the tests).
 */
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const outdir = join(root, 'dist/bundle');
const entry = join(root, 'dist/src/cli/program.js');
const EXTERNAL = ['better-sqlite3', 'kubernetes-models', 's3rver', 'puppeteer-core'];

/** A module's path as the chunks see it: relative to dist/bundle/, where they all are. */
const fromChunks = (path: string): string => JSON.stringify(relative(outdir, path));

const ownLocation: esbuild.Plugin = {
  name: 'own-location',
  setup(build) {
    build.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const meta = text.includes('import.meta.url');
      const cjsDir = args.path.includes('/node_modules/') && /\b__(dirname|filename)\b/.test(text);
      if (!meta && !cjsDir) return undefined;
      if (meta) text = text.replaceAll('import.meta.url', `new URL(${fromChunks(args.path)}, import.meta.url).href`);
      if (cjsDir) {
        text =
          `var __filename = require('node:path').join(__bundleDir, ${fromChunks(args.path)});` +
          ` var __dirname = require('node:path').dirname(__filename);\n${text}`;
      }
      return { contents: text, loader: 'js' };
    });
  },
};

export async function bundle(): Promise<esbuild.Metafile> {
  await rm(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { program: entry },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    external: EXTERNAL,
    // Each chunk: Node's require for the CommonJS code and the packages left out, the chunks' folder for __dirname.
    banner: {
      js:
        "import { createRequire as __createRequire } from 'node:module';" +
        ' const require = __createRequire(import.meta.url);' +
        " const __bundleDir = new URL('.', import.meta.url).pathname;",
    },
    // Maps back through tsc's maps to the .ts sources: NODE_OPTIONS=--enable-source-maps.
    sourcemap: 'linked',
    plugins: [ownLocation],
    metafile: true,
    logLevel: 'warning',
  });
  return result.metafile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  const metafile = await bundle();
  const chunks = Object.keys(metafile.outputs).filter((o) => o.endsWith('.js')).length;
  console.log(
    `bundled ${Object.keys(metafile.inputs).length} modules into ${chunks} files in dist/bundle (${Date.now() - started} ms)`,
  );
}
