// The sandbox: outgoing requests only to the granted endpoints (refused before a connection,
// the error naming the endpoint), connections kept alive between lookups, and the backend's
// life (close, an idle backend never keeping the process alive).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { openBackend, SsmSecretsError } from '../index.js';
import { Egress } from '../lib/http.js';
import { env, startMock } from './helpers.js';

/** A TCP listener on loopback that counts the connections it sees. */
async function listener() {
  let seen = 0;
  const server = createServer((socket) => {
    seen++;
    socket.destroy();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, seen: () => seen, close: () => server.close() };
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

test('a listener outside the grants never sees a connection; the error names it', async () => {
  const watched = await listener();
  const other = await listener();
  const kwargs = { endpoint_url: watched.url, region_name: 'us-east-1', config_kwargs: { retries: { total_max_attempts: 1 } } };
  // The plan grants the configured endpoint; `allow` narrows the grants to another one.
  const ssm = await openBackend(kwargs, { env, allow: [other.url] });
  try {
    await assert.rejects(ssm.getVariable('anything'), (e) => {
      assert.ok(e instanceof SsmSecretsError, String(e));
      assert.equal(e.kind, 'transport');
      assert.match(e.message, /not allowed/);
      assert.ok(e.message.includes(`${watched.url}`), e.message);
      return true;
    });
    await pause(200);
    assert.equal(watched.seen(), 0);
    assert.equal(other.seen(), 0);
  } finally {
    await ssm.close();
    watched.close();
    other.close();
  }
});

test('allow never widens the plan', async () => {
  const watched = await listener();
  const planned = await listener();
  const ssm = await openBackend({ endpoint_url: planned.url, region_name: 'us-east-1' }, { env, allow: [planned.url, watched.url] });
  assert.deepEqual(ssm.grants.endpoints, [planned.url]);
  await ssm.close();
  watched.close();
  planned.close();
});

test('the main thread refuses an endpoint outside the grants too, before connecting', async () => {
  const watched = await listener();
  const egress = new Egress({ endpoints: ['http://127.0.0.1:9'], routes: [] });
  const endpoint = watched.url;
  const reply = await egress.send({ endpoint, method: 'POST', scheme: 'http', authority: endpoint.slice(7), path: '/', headers: [], body: new Uint8Array(), timeouts: {} });
  assert.deepEqual(reply.error, { tag: 'HTTP-request-denied' });
  assert.ok(reply.why.includes(endpoint), reply.why);
  await pause(100);
  assert.equal(watched.seen(), 0);
  egress.close();
  watched.close();
});

test('lookups one after another share one kept-alive connection', async () => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const name = JSON.parse(body).Name;
      const data = JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: `v:${name}`, Version: 1 } });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    });
  });
  server.on('connection', () => connections++);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const ssm = await openBackend({ endpoint_url: `http://127.0.0.1:${server.address().port}`, region_name: 'us-east-1' }, { env });
  for (let i = 0; i < 5; i++) assert.equal(await ssm.getVariable(`k${i}`), `v:/airflow/variables/k${i}`);
  assert.equal(connections, 1);
  await ssm.close();
  server.close();
});

test('close() rejects later calls; a lookup in flight is rejected, not left pending', async () => {
  const mock = await startMock({ MOCK_DELAY_MS: '300' });
  const ssm = await openBackend({ endpoint_url: mock.url, region_name: 'us-east-1' }, { env });
  const inFlight = assert.rejects(ssm.getVariable('slow'), /closed/);
  await pause(50);
  await ssm.close();
  await inFlight;
  await assert.rejects(ssm.getVariable('a'), /closed/);
  await ssm.close(); // twice is fine
  mock.stop();
});

test('a process that forgets close() still exits once its lookups are done', async () => {
  const mock = await startMock();
  const script = `
    import { openBackend } from ${JSON.stringify(new URL('../index.js', import.meta.url).href)};
    const ssm = await openBackend({ endpoint_url: ${JSON.stringify(mock.url)}, region_name: 'us-east-1' }, { env: ${JSON.stringify(env)} });
    console.log(await ssm.getVariable('a'));
  `;
  const started = Date.now();
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  mock.stop();
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'postgres://u:p@db.internal:5432/a');
  assert.ok(Date.now() - started < 15_000);
});

test('a backend sees only the AWS_* variables it is given', async () => {
  const mock = await startMock();
  // Credentials come from the env passed in, not this process's; a non-AWS variable is dropped.
  const ssm = await openBackend({ endpoint_url: mock.url, region_name: 'us-east-1' },
    { env: { ...env, AWS_ACCESS_KEY_ID: 'AKIDOTHER', SECRET_NOT_AWS: 'x' } });
  assert.equal(await ssm.getVariable('a'), 'postgres://u:p@db.internal:5432/a');
  await ssm.close();
  const none = await openBackend({ endpoint_url: mock.url, region_name: 'us-east-1' }, { env: { AWS_EC2_METADATA_DISABLED: 'true', HOME: '/nonexistent' } });
  await assert.rejects(none.getVariable('a'), (e) => e instanceof SsmSecretsError && e.kind === 'credentials');
  await none.close();
  mock.stop();
});

test('a reply of any size up to the bound comes through; a larger one is refused', async () => {
  // 300 KB does not fit the shared mailbox and goes by the port; over 1 MiB the component refuses.
  const sizes = { small: 10, large: 300_000, huge: 1_200_000 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const name = JSON.parse(body).Name;
      const value = 'x'.repeat(sizes[name.split('/').pop()]);
      const data = JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: value, Version: 1 } });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const ssm = await openBackend({ endpoint_url: `http://127.0.0.1:${server.address().port}`, region_name: 'us-east-1',
    config_kwargs: { retries: { total_max_attempts: 1 } } }, { env });
  try {
    assert.equal((await ssm.getVariable('small')).length, sizes.small);
    assert.equal((await ssm.getVariable('large')).length, sizes.large);
    await assert.rejects(ssm.getVariable('huge'), (e) => e instanceof SsmSecretsError && /larger than|too large/.test(e.message));
    assert.equal((await ssm.getVariable('small')).length, sizes.small);
  } finally {
    await ssm.close();
    server.close();
  }
});

test('files: only the granted directories, read-only, no way out by .. or a symbolic link', async () => {
  const { wasiImports } = await import('../lib/wasi.js');
  const { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const root = mkdtempSync(join(tmpdir(), 'ssm-fs-'));
  mkdirSync(join(root, 'aws'));
  writeFileSync(join(root, 'aws', 'config'), 'granted');
  writeFileSync(join(root, 'secret'), 'not granted');
  symlinkSync(join(root, 'secret'), join(root, 'aws', 'out'));
  symlinkSync('config', join(root, 'aws', 'in'));
  const [[dir, path], ...others] = wasiImports({ dirs: [join(root, 'aws')] })['wasi:filesystem/preopens'].getDirectories();
  assert.equal(path, join(root, 'aws'));
  assert.equal(others.length, 0);
  const read = (name, { follow = true, open = {}, flags = { read: true } } = {}) => {
    try {
      const file = dir.openAt({ symlinkFollow: follow }, name, open, flags);
      return new TextDecoder().decode(file.readViaStream(0n).blockingRead(100n));
    } catch (e) {
      return `error ${e}`;
    }
  };
  assert.equal(read('config'), 'granted');
  assert.equal(read('in'), 'granted');
  assert.equal(read('sub/../config'), 'granted');
  assert.equal(read('out'), 'error not-permitted');
  assert.equal(read('../secret'), 'error not-permitted');
  assert.equal(read(join(root, 'secret')), 'error not-permitted');
  assert.equal(read('config', { open: { create: true } }), 'error read-only');
  assert.equal(read('config', { open: { truncate: true } }), 'error read-only');
  assert.equal(read('config', { flags: { read: true, write: true } }), 'error read-only');
  assert.throws(() => dir.openAt({ symlinkFollow: true }, 'config', {}, { read: true }).writeViaStream(0n), (e) => e === 'read-only');
});

test('https: a route\'s CA bundle (verify) is trusted instead of the default roots', async (t) => {
  const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const https = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'ssm-tls-'));
  const openssl = (...args) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (openssl('version').status !== 0) {
    t.skip('no openssl to make certificates with');
    return;
  }
  writeFileSync(join(dir, 'leaf.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  for (const args of [
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA'],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=localhost'],
    ['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'leaf.pem', '-days', '2', '-extfile', 'leaf.ext'],
  ]) {
    const run = openssl(...args);
    assert.equal(run.status, 0, run.stderr);
  }
  const server = https.createServer({ key: readFileSync(join(dir, 'leaf.key')), cert: readFileSync(join(dir, 'leaf.pem')) }, (req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const name = JSON.parse(body).Name;
      const data = JSON.stringify({ Parameter: { Name: name, Type: 'String', Value: 'over tls', Version: 1 } });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(data) });
      res.end(data);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const kwargs = { endpoint_url: `https://localhost:${server.address().port}`, region_name: 'us-east-1', config_kwargs: { retries: { total_max_attempts: 1 } } };
  try {
    const trusted = await openBackend({ ...kwargs, verify: join(dir, 'ca.pem') }, { env });
    assert.equal(await trusted.getVariable('a'), 'over tls');
    await trusted.close();
    const untrusted = await openBackend(kwargs, { env });
    await assert.rejects(untrusted.getVariable('a'), (e) => e instanceof SsmSecretsError && e.kind === 'transport' && /TLS|certificate/i.test(e.message));
    await untrusted.close();
    await assert.rejects(openBackend({ ...kwargs, verify: join(dir, 'missing.pem') }, { env }),
      (e) => e instanceof SsmSecretsError && e.kind === 'configuration' && e.message.includes('missing.pem'));
  } finally {
    server.close();
  }
});

test('a route through a proxy (config_kwargs.proxies, for STS) fails the open, without the proxy\'s credentials', async () => {
  const kwargs = { region_name: 'us-east-1', role_arn: 'arn:aws:iam::123456789012:role/r', config_kwargs: { proxies: { https: 'http://user:proxy-pass@proxy.internal:3128' } } };
  await assert.rejects(openBackend(kwargs, { env }), (e) => {
    assert.ok(e instanceof SsmSecretsError && e.kind === 'configuration', String(e));
    assert.match(e.message, /proxy/);
    assert.ok(e.message.includes('https://sts.'), e.message);
    assert.ok(!e.message.includes('proxy-pass'), e.message);
    return true;
  });
});
