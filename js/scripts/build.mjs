// `npm run build`: transpiles the component into generated/ (JS glue, core modules, .d.ts of
// every WIT interface), which the package ships and git ignores.
//
// The component: $SSM_SECRETS_COMPONENT (scripts/common.sh's build_component sets it), else
// ../target/wasm32-wasip2/component/ssm_secrets.wasm.
//
// jco 1.12 (the `jco-transpiler` alias), not the jco 1.35 beside it (kept for `jco serve`): from
// 1.13 on, jco's glue runs every import call through its component-model-async task machinery,
// which costs a sync component like ours ~40% more CPU per lookup (docs/node.md).

import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { transpile } from 'jco-transpiler';

const js = resolve(import.meta.dirname, '..');
const component = process.env.SSM_SECRETS_COMPONENT
  ?? join(js, '..', 'target', 'wasm32-wasip2', 'component', 'ssm_secrets.wasm');
const out = join(js, 'generated');

const { files } = await transpile(await readFile(component), {
  name: 'ssm_secrets',
  instantiation: 'sync', // our worker (and the offline functions) supply every import
  outDir: out,
  quiet: true,
});
await rm(out, { recursive: true, force: true });
for (const [path, bytes] of Object.entries(files)) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
}
console.log(`transpiled ${component} into ${out} (${Object.keys(files).length} files)`);
