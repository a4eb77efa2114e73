// The transpiled component in Node against a loopback SSM mock (in a child process, because a
// lookup blocks Node's main thread) gives the same results as the Rust host CLI for the same
// lookups.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openBackend, parseConnection, plannedGrants, SsmSecretsError } from '../index.js';

const root = resolve(import.meta.dirname, '..', '..');
const host = join(root, 'target', 'release', 'host-example');
const component = join(root, 'target', 'wasm32-wasip2', 'component', 'ssm_secrets.wasm');
const env = { AWS_ACCESS_KEY_ID: 'AKIDNODE', AWS_SECRET_ACCESS_KEY: 'node-secret', AWS_EC2_METADATA_DISABLED: 'true' };
let mock;
let kwargs;

before(async () => {
  const portFile = join(mkdtempSync(join(tmpdir(), 'ssm-mock-')), 'port');
  mock = spawn('python3', [join(root, 'bench', 'mock_ssm.py'), portFile], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !(existsSync(portFile) && readFileSync(portFile, 'utf8')); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  kwargs = { endpoint_url: `http://127.0.0.1:${readFileSync(portFile, 'utf8')}`, region_name: 'us-east-1' };
});

after(() => mock.kill());

/** The Rust host CLI's `--json` lines for the same command. */
function rust(args) {
  const out = spawnSync(host, ['--component', component, '--backend-kwargs', JSON.stringify(kwargs), '--json', ...args], {
    env: { PATH: process.env.PATH, ...env, SSM_SECRETS_NO_CACHE: '1' },
    encoding: 'utf8',
  });
  return out.stdout.trim().split('\n').map((line) => JSON.parse(line));
}

test('values, connections and configs match the Rust host', () => {
  const node = openBackend(kwargs, env);
  const ids = ['db', 'other', 'missing_one'];
  assert.deepEqual(ids.map((id) => node.getConnValue(id)), rust(['get-conn-value', ...ids]));
  assert.deepEqual(ids.map((id) => node.getConnection(id)), rust(['get-connection', ...ids]));
  assert.deepEqual(['a', 'missing_b'].map((k) => node.getVariable(k)), rust(['get-variable', 'a', 'missing_b']));
  assert.deepEqual([node.getConfig('x')], rust(['get-config', 'x']));
  assert.deepEqual(node.getVariables(['a', 'missing_b', 'c']), rust(['get-variable', 'a', 'missing_b', 'c']));
  assert.equal(node.getConnection('db').schema, 'db');
  assert.equal(node.getVariable('missing_x'), null);
});

test('disabled kinds and lookup patterns match the Rust host', () => {
  const filtered = { ...kwargs, variables_prefix: null, connections_lookup_pattern: '^db$' };
  const node = openBackend(filtered, env);
  const saved = kwargs;
  kwargs = filtered;
  try {
    assert.deepEqual([node.getVariable('a')], rust(['get-variable', 'a']));
    assert.deepEqual(['db', 'other'].map((id) => node.getConnValue(id)), rust(['get-conn-value', 'db', 'other']));
  } finally {
    kwargs = saved;
  }
});

test('grants come from the component: a profile\'s web identity token file is readable', () => {
  const home = mkdtempSync(join(tmpdir(), 'ssm-home-'));
  const tokens = mkdtempSync(join(tmpdir(), 'ssm-tokens-'));
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(tokens, 'token'), 'header.payload.signature');
  writeFileSync(join(home, '.aws', 'config'),
    `[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = ${join(tokens, 'token')}\nregion = eu-west-1\n`);
  // A fresh Node process: a component instance reads its environment once (wasi-libc), and
  // this module's instance has already served other environments.
  const script = `import { plannedGrants } from ${JSON.stringify(join(root, 'js', 'index.js'))};
    console.log(JSON.stringify(plannedGrants({ profile_name: 'web' }, { HOME: ${JSON.stringify(home)} })));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  const grants = JSON.parse(out.stdout);
  assert.ok(grants.readOnlyFiles.includes(join(tokens, 'token')), out.stdout);
  assert.ok(grants.endpoints.includes('https://ssm.eu-west-1.amazonaws.com:443'), out.stdout);
  assert.ok(grants.endpoints.some((e) => e.startsWith('https://sts.')), out.stdout);
  assert.deepEqual(plannedGrants(kwargs, env).endpoints, [`${kwargs.endpoint_url}`]);
});

test('offline parsing matches the Rust host, in all three semantics', () => {
  for (const semantics of ['core', 'task-sdk', 'airflow2']) {
    for (const value of ['http://h?timeout=30&flag=true', 'x://user:@h', '{"password": "", "extra": "notjson"}']) {
      const cli = spawnSync(host, ['--component', component, '--connection-semantics', semantics, 'parse-connection', 'c', value],
        { encoding: 'utf8', env: { PATH: process.env.PATH } });
      if (cli.status === 0) {
        assert.deepEqual(parseConnection('c', value, semantics), JSON.parse(cli.stdout), `${semantics} ${value}`);
      } else {
        assert.throws(() => parseConnection('c', value, semantics), SsmSecretsError, `${semantics} ${value}`);
      }
    }
  }
  assert.equal(parseConnection('c', 'http://h?timeout=30', 'core').extra, '{"timeout": 30}');
  assert.equal(parseConnection('c', 'http://h?timeout=30', 'task-sdk').extra, '{"timeout": "30"}');
  assert.equal(parseConnection('c', '{"password": ""}', 'task-sdk').password, '');
  assert.equal(parseConnection('c', '{"password": ""}', 'core').password, null);
});

test('offline parsing matches the Rust host', () => {
  for (const value of ['http://https%3A%2F%2Fexample.com', 'spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077',
    '{"conn_type": "postgresql", "host": "h", "port": "5432", "extra": {"a": [1, 2.5]}}']) {
    const cli = spawnSync(host, ['--component', component, 'parse-connection', 'c', value], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    assert.deepEqual(parseConnection('c', value), JSON.parse(cli.stdout));
  }
});

test('errors are SsmSecretsError and hold no secret', () => {
  assert.throws(() => openBackend({ region_name: 5 }, env), (e) => e instanceof SsmSecretsError && e.kind === 'configuration');
  const node = openBackend({ endpoint_url: 'http://127.0.0.1:9', region_name: 'us-east-1', config_kwargs: { retries: { total_max_attempts: 1 } } }, env);
  assert.throws(() => node.getVariable('a'), (e) => e instanceof SsmSecretsError && e.kind === 'transport' && !e.message.includes('node-secret'));
});
