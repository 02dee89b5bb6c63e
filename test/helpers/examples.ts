/** The manifests in examples/, as the demo applies them: every YAML document of every file, in file order. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../../src/api/meta.js';

const dir = fileURLToPath(new URL('../../../examples/', import.meta.url));

export function loadExamples(): { file: string; obj: KubeObject }[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(`${dir}${file}`, 'utf8'))
      .map((doc) => doc.toJS() as KubeObject | null)
      .filter((obj): obj is KubeObject => obj !== null)
      .map((obj) => ({ file, obj })),
  );
}
