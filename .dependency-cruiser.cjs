/**
 * Layers that point one way: which folder of src/ may import which. `make lint` runs this with
 * dependency-cruiser (`depcruise --config .dependency-cruiser.cjs src`); a violation names the rule
 * and the import. test/lint/layers.test.ts shows that a wrong import fails.
 *
 * The layers, top to bottom; a folder imports only folders below it (siblings on one line do not
 * import each other unless a rule below says so):
 *
 *   cli                        entry points: parse flags, start the garden, seeds, nodes, backups
 *   landscape                  a landscape's hosts: network namespaces, firewall cuts, the DNS server,
 *                              the load balancer, the garden's etcd cluster (only cli uses it)
 *   garden | seed              the garden's process | a seed's process (gardenlet, druid, extensions)
 *   shoot                      a shoot's own parts: kube-apiserver, node agent, VPN, persisted secrets
 *   backup                     etcd-backup-restore: snapstores, snapshotter, restorer, copier
 *   hosting                    the state-directory API server: generic server + SQLite + registry + RBAC
 *   registry                   each kind's strategy, table columns and resource definition
 *   apiserver | controller     the generic API server and store | informers, controllers, reconcilers
 *   process | dns              starting, finding and stopping OS processes | DNS dynamic updates (RFC 2136, TSIG)
 *   streams                    byte-stream pieces (a pass-through tap that counts or hashes)
 *   storage | client | flow    store backends | the object client | named-step flows
 *   api                        kinds' types, readers, validation, resource references, errors
 *
 * dependency-cruiser parses TypeScript with swc (TypeScript 7 has no JavaScript compiler API), so
 * `import type` counts like any other import: a type is a dependency too.
 */

/** A rule forbidding `from` to import anything in src/ outside `allowed` (and itself). */
function only(name, from, allowed, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: '^src/', pathNot: `^src/(${[from, ...allowed].join('|')})/` },
  };
}

/** A rule forbidding `from` to import any of `forbidden`. */
function never(name, from, forbidden, comment) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: `^src/${from}/` },
    to: { path: `^src/(${forbidden.join('|')})/` },
  };
}

module.exports = {
  forbidden: [
    only(
      'api-imports-nothing-outside-api',
      'api',
      [],
      'src/api holds types, validation and plain references: it depends on no other layer (strategies and columns belong in src/registry).',
    ),
    only(
      'storage-imports-only-api',
      'storage',
      ['api'],
      'Store backends know objects and keys, not servers, kinds, clients or controllers.',
    ),
    only(
      'client-imports-only-api',
      'client',
      ['api'],
      'The object client works over any server: it knows only the API.',
    ),
    only('flow-imports-only-api', 'flow', ['api'], 'The flow engine knows named steps and the API, nothing it runs.'),
    only(
      'process-imports-nothing-outside-process',
      'process',
      [],
      'Running OS processes is a leaf: storage, backup, seed and cli use it, it uses none of them.',
    ),
    only(
      'streams-imports-nothing-outside-streams',
      'streams',
      [],
      'Byte-stream pieces are a leaf: backups and the landscape use them, they use nothing of ours.',
    ),
    only(
      'dns-imports-nothing-outside-dns',
      'dns',
      [],
      'RFC 2136 updates and TSIG are a protocol: seeds and the landscape use them, they use nothing of ours.',
    ),
    only(
      'landscape-imports-only-lower-layers',
      'landscape',
      ['api', 'process', 'dns', 'client', 'apiserver', 'storage', 'streams'],
      "A landscape's hosts and their daemons (netns, nftables, knot, haproxy, the garden's etcd) know no garden or seed internals: they start processes the CLI then points at each other.",
    ),
    {
      name: 'only-cli-imports-landscape',
      comment: 'Only the CLI (transplant up/down/exec/cut) builds landscapes.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(cli|landscape)/' },
      to: { path: '^src/landscape/' },
    },
    only(
      'apiserver-imports-only-api-storage-client',
      'apiserver',
      ['api', 'storage', 'client'],
      'The generic API server knows no kind, no controller and no storage backend choice: src/registry and src/hosting plug those in.',
    ),
    only(
      'controller-imports-only-api-client',
      'controller',
      ['api', 'client'],
      "Controllers are generic machinery below everything that runs them; they talk to objects through src/client, never to the server's store.",
    ),
    only(
      'registry-imports-only-api-apiserver',
      'registry',
      ['api', 'apiserver'],
      "A kind's definition is built from its src/api reference and validation with src/apiserver's types; it never depends on who serves it (garden, seed, shoot, hosting, cli).",
    ),
    never(
      'hosting-below-its-users',
      'hosting',
      ['garden', 'seed', 'shoot', 'backup', 'cli'],
      'The state-directory API server is assembled from lower layers; the garden, seeds and shoots use it.',
    ),
    only(
      'backup-imports-only-api-storage-process',
      'backup',
      ['api', 'storage', 'process', 'streams'],
      'Backups work on etcd and object stores alone, so `transplant backup` runs without a garden or seed.',
    ),
    {
      name: 'only-seed-and-cli-import-backup',
      comment: 'Seeds run backups and `transplant backup` runs them by hand; nothing else takes or restores one.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(backup|seed|cli)/' },
      to: { path: '^src/backup/' },
    },
    never(
      'shoot-not-to-garden-or-seed',
      'shoot',
      ['garden', 'seed'],
      "A shoot's parts are hosted by a seed and read by the garden; they depend on neither.",
    ),
    never('garden-not-to-seed', 'garden', ['seed'], 'The garden and the seeds never import each other.'),
    never('seed-not-to-garden', 'seed', ['garden'], 'The garden and the seeds never import each other.'),
    {
      name: 'nothing-imports-cli',
      comment: 'src/cli is the top: only src/cli imports src/cli.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'imports-resolve',
      comment: 'An import the checker cannot resolve would escape every rule above.',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
