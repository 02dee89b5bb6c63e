/**
 * `transplant rewrite-encrypted`: the last-but-one step of a key rotation (docs/security.md),
 * kube-apiserver's `kubectl get secrets -A -o json | kubectl replace -f -` for every encrypted
 * resource: each object is written again unchanged, so the server's storage encrypts it with the
 * first key of its encryption provider config. Idempotent; after a crash, run it again.
 */
import { Command } from 'commander';
import { gardenEncryptedResources } from '../garden/encrypted-resources.js';

interface RewriteCommandOptions {
  kubeconfig: string;
  resources?: string[];
}

export function rewriteEncryptedCommand(): Command {
  return new Command('rewrite-encrypted')
    .description(
      'Write every object of the encrypted resources again, unchanged, through the API server of KUBECONFIG (the garden or a seed):\n' +
        'after a new key is put first in its --encryption-provider-config and the server restarted, this re-encrypts every\n' +
        'object with it; then the old key can be removed. Idempotent and safe to run again after a crash.',
    )
    .requiredOption(
      '--kubeconfig <file>',
      'kubeconfig of a user who may update the resources (the operator, the seed admin)',
    )
    .option(
      '--resources <plural[.group],...>',
      `the resources to rewrite (default ${gardenEncryptedResources.join(',')}, those of them the server serves)`,
      (value: string) =>
        value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
    )
    .action(async (options: RewriteCommandOptions) => {
      await runRewriteEncrypted(options);
    });
}

async function runRewriteEncrypted(options: RewriteCommandOptions): Promise<void> {
  // Loaded when the command runs (src/cli/program.ts).
  const [{ discoverResources }, { loadKubeconfig }, { RestClient }, { rewriteObjects }] = await Promise.all([
    import('../client/discovery.js'),
    import('../client/kubeconfig-file.js'),
    import('../client/rest-client.js'),
    import('../client/rewrite-objects.js'),
  ]);
  const client = new RestClient(loadKubeconfig(options.kubeconfig), { userAgent: 'transplant-rewrite-encrypted' });
  try {
    const served = new Map(
      (await discoverResources(client)).map((r) => [r.group ? `${r.plural}.${r.group}` : r.plural, r]),
    );
    const names = options.resources ?? gardenEncryptedResources.filter((name) => served.has(name));
    const unknown = names.filter((name) => !served.has(name));
    if (unknown.length > 0) throw new Error(`--resources: ${unknown.join(', ')} not served by ${client.server}`);
    for (const name of names) {
      const { rewritten, gone } = await rewriteObjects(client, served.get(name)!);
      process.stdout.write(`${name}: ${rewritten} rewritten${gone ? `, ${gone} deleted meanwhile` : ''}\n`);
    }
  } finally {
    client.close();
  }
}
