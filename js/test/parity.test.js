// The transpiled component in Node against a loopback SSM mock (in a child process, because a
// lookup blocks Node's main thread) gives the same results as the Rust host CLI for the same
// lookups.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openBackend, parseConnection, SsmSecretsError } from '../index.js';

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
