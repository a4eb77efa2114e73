// The package's lookups against a loopback SSM mock give the same results as the Rust host CLI
// for the same lookups; offline parsing too.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackend, parseConnection, plannedGrants, connectionUri, SsmSecretsError } from '../index.js';
import { component, env, host, rust, startMock } from './helpers.js';

let mock;
let kwargs;

before(async () => {
  mock = await startMock();
  kwargs = { endpoint_url: mock.url, region_name: 'us-east-1' };
});

after(() => mock.stop());

test('values, connections and configs match the Rust host', async () => {
  const node = await openBackend(kwargs, { env });
  try {
    const ids = ['db', 'other', 'missing_one'];
    const each = (f, keys) => Promise.all(keys.map(f));
    assert.deepEqual(await each((id) => node.getConnValue(id), ids), rust(kwargs, ['get-conn-value', ...ids]));
    assert.deepEqual(await each((id) => node.getConnection(id), ids), rust(kwargs, ['get-connection', ...ids]));
    assert.deepEqual(await each((k) => node.getVariable(k), ['a', 'missing_b']), rust(kwargs, ['get-variable', 'a', 'missing_b']));
    assert.deepEqual([await node.getConfig('x')], rust(kwargs, ['get-config', 'x']));
    assert.deepEqual(await node.getVariables(['a', 'missing_b', 'c']), rust(kwargs, ['get-variable', 'a', 'missing_b', 'c']));
    assert.deepEqual(await node.getConnections(ids), rust(kwargs, ['get-connection', ...ids]));
    assert.equal((await node.getConnection('db')).schema, 'db');
    assert.equal(await node.getVariable('missing_x'), null);
  } finally {
    await node.close();
  }
});

test('one after another, each lookup is its own GetParameter', async () => {
  const node = await openBackend(kwargs, { env });
  const before = await mock.counts();
  for (const key of ['seq1', 'seq2', 'seq3']) assert.equal(await node.getVariable(key), `postgres://u:p@db.internal:5432/${key}`);
  const after = await mock.counts();
  assert.equal(after['AmazonSSM.GetParameter'] - (before['AmazonSSM.GetParameter'] ?? 0), 3);
  await node.close();
});

test('disabled kinds and lookup patterns match the Rust host', async () => {
  const filtered = { ...kwargs, variables_prefix: null, connections_lookup_pattern: '^db$' };
  const node = await openBackend(filtered, { env });
  assert.deepEqual([await node.getVariable('a')], rust(filtered, ['get-variable', 'a']));
  assert.deepEqual([await node.getConnValue('db'), await node.getConnValue('other')], rust(filtered, ['get-conn-value', 'db', 'other']));
  await node.close();
});

test('connection semantics apply to a backend\'s connections as the CLI\'s flag does', async () => {
  const node = await openBackend(kwargs, { env, connectionSemantics: 'task-sdk' });
  const cli = spawnSync(host, ['--component', component, '--backend-kwargs', JSON.stringify(kwargs), '--json',
    '--connection-semantics', 'task-sdk', 'get-connection', 'db'], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
  assert.deepEqual([await node.getConnection('db')], [JSON.parse(cli.stdout)]);
  await node.close();
});

test('grants come from the component: a profile\'s web identity token file is readable', async () => {
  const home = mkdtempSync(join(tmpdir(), 'ssm-home-'));
  const tokens = mkdtempSync(join(tmpdir(), 'ssm-tokens-'));
  mkdirSync(join(home, '.aws'));
  writeFileSync(join(tokens, 'token'), 'header.payload.signature');
  writeFileSync(join(home, '.aws', 'config'),
    `[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = ${join(tokens, 'token')}\nregion = eu-west-1\n`);
  const grants = plannedGrants({ profile_name: 'web' }, { HOME: home });
  assert.ok(grants.readOnlyFiles.includes(join(tokens, 'token')), JSON.stringify(grants));
  assert.ok(grants.endpoints.includes('https://ssm.eu-west-1.amazonaws.com:443'), JSON.stringify(grants));
  assert.ok(grants.endpoints.some((e) => e.startsWith('https://sts.')), JSON.stringify(grants));
  assert.deepEqual(plannedGrants(kwargs, env).endpoints, [`${kwargs.endpoint_url}`]);
  // A backend is granted its own plan, in its own environment (a worker each).
  const backend = await openBackend({ profile_name: 'web' }, { env: { HOME: home } });
  assert.deepEqual(backend.grants, grants);
  await backend.close();
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
    const parsed = parseConnection('c', value);
    assert.deepEqual(parsed, JSON.parse(cli.stdout));
    assert.equal(connectionUri(parsed), parsed.uri);
  }
});

test('errors are SsmSecretsError and hold no secret', async () => {
  await assert.rejects(openBackend({ region_name: 5 }, { env }), (e) => e instanceof SsmSecretsError && e.kind === 'configuration');
  const node = await openBackend({ endpoint_url: 'http://127.0.0.1:9', region_name: 'us-east-1', config_kwargs: { retries: { total_max_attempts: 1 } } }, { env });
  await assert.rejects(node.getVariable('a'), (e) => e instanceof SsmSecretsError && e.kind === 'transport' && !e.message.includes('node-secret'));
  await node.close();
});
