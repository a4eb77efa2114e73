// The package as a user gets it: `npm pack`, `npm install <tarball>` into an empty directory,
// then an ESM script there looks values up (equal to the Rust CLI's) and `tsc --noEmit`
// type-checks a TypeScript file against the installed declarations.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { env, rust, startMock } from './helpers.js';

const js = resolve(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let mock;
let project;

before(async () => {
  mock = await startMock();
  const packed = mkdtempSync(join(tmpdir(), 'ssm-npm-pack-'));
  execFileSync(npm, ['pack', '--silent', '--pack-destination', packed], { cwd: js, stdio: ['ignore', 'ignore', 'inherit'] });
  const [tarball] = readdirSync(packed).filter((f) => f.endsWith('.tgz'));
  project = mkdtempSync(join(tmpdir(), 'ssm-npm-project-'));
  execFileSync(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', join(packed, tarball)], { cwd: project, stdio: ['ignore', 'ignore', 'inherit'] });
});

after(() => mock.stop());

test('the tarball installs alone: no dependency, no install script', () => {
  assert.deepEqual(readdirSync(join(project, 'node_modules')).filter((d) => !d.startsWith('.')), ['airflow-ssm-secrets']);
  const manifest = JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("airflow-ssm-secrets/package.json"))'], { cwd: project, encoding: 'utf8' }));
  assert.equal(manifest.name, 'airflow-ssm-secrets');
  assert.equal(manifest.private, undefined);
  assert.deepEqual(manifest.dependencies ?? {}, {});
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts?.[hook], undefined, hook);
  const files = readdirSync(join(project, 'node_modules', 'airflow-ssm-secrets', 'generated'));
  assert.ok(files.includes('ssm_secrets.js') && files.includes('ssm_secrets.core.wasm'), files.join(' '));
});

test('an ESM script in the project looks up what the Rust CLI does', () => {
  const kwargs = { endpoint_url: mock.url, region_name: 'us-east-1' };
  writeFileSync(join(project, 'lookup.mjs'), `
    import { openBackend } from 'airflow-ssm-secrets';
    const ssm = await openBackend(${JSON.stringify(kwargs)}, { env: ${JSON.stringify(env)} });
    const out = {
      values: await Promise.all(['db', 'missing_db'].map((id) => ssm.getConnValue(id))),
      connections: await Promise.all(['db', 'other'].map((id) => ssm.getConnection(id))),
      variables: [await ssm.getVariable('a'), await ssm.getVariable('missing_a')],
      config: [await ssm.getConfig('x')],
    };
    console.log(JSON.stringify(out));
  `);
  const run = spawnSync(process.execPath, ['lookup.mjs'], { cwd: project, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const got = JSON.parse(run.stdout);
  assert.deepEqual(got.values, rust(kwargs, ['get-conn-value', 'db', 'missing_db']));
  assert.deepEqual(got.connections, rust(kwargs, ['get-connection', 'db', 'other']));
  assert.deepEqual(got.variables, rust(kwargs, ['get-variable', 'a', 'missing_a']));
  assert.deepEqual(got.config, rust(kwargs, ['get-config', 'x']));
});

test('a TypeScript file type-checks against the installed declarations', () => {
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'es2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, noEmit: true, types: [] },
    files: ['check.mts'],
  }));
  writeFileSync(join(project, 'check.mts'), `
    import { openBackend, parseConnection, plannedGrants, SsmSecretsError } from 'airflow-ssm-secrets';
    import type { Connection, ErrorKind, Grants, SsmBackend } from 'airflow-ssm-secrets';

    const ssm: SsmBackend = await openBackend({ region_name: 'us-east-1', variables_prefix: null }, { connectionSemantics: 'task-sdk' });
    const conn: Connection | null = await ssm.getConnection('db');
    const port: number | null = conn ? conn.port : null;
    const uri: string | undefined = conn?.uri;
    const values: Array<string | null> = await ssm.getVariables(['a', 'b']);
    const grants: Grants = ssm.grants;
    const endpoints: string[] = grants.endpoints;
    const caBundle: string | undefined = grants.routes[0]?.caBundle;
    try {
      await ssm.getConfig('x');
    } catch (e) {
      if (e instanceof SsmSecretsError) {
        const kind: ErrorKind = e.kind;
        const code: string | undefined = e.code;
        console.log(kind, code, e.status);
      }
    }
    const offline: Connection = parseConnection('c', 'postgres://h', 'airflow2');
    console.log(port, uri, values, endpoints, caBundle, offline, plannedGrants({}).readOnlyFiles);
    await ssm.close();
    // @ts-expect-error: a kind is one of the WIT error's cases
    const wrong: ErrorKind = 'timeout';
    // @ts-expect-error: semantics are core, task-sdk or airflow2
    await openBackend({}, { connectionSemantics: 'airflow3' });
    // @ts-expect-error: a lookup's value is a string or null
    const notANumber: number = await ssm.getVariable('a');
    console.log(wrong, notANumber);
  `);
  const tsc = join(js, 'node_modules', 'typescript', 'bin', 'tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', project], { cwd: project, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stdout + run.stderr);
});
