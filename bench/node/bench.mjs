// The Node benchmark (bash scripts/bench.sh runs it): our npm package against the AWS SDK for
// JavaScript v3 (`@aws-sdk/client-ssm`, this directory's devDependency) on the same loopback
// SSM mock (bench/mock_ssm.py: each reply in one write), each client in processes of its own,
// alternating, medians of several runs:
//
// - client CPU per warm lookup: one client, W lookups to warm up (V8's optimising compilers,
//   ours for the component's wasm too, finish their work in the background meanwhile), then N
//   sequential awaited GetParameter lookups of distinct names; process CPU (user + system,
//   every thread: ours includes its worker) over N;
// - first lookup of a new Node process: from just before importing the client to the first
//   value (Node's own start-up, the same for both, left out).
//
// usage: node bench/node/bench.mjs [--runs 7] [--warmup 3000] [--lookups 3000]
// Ours is the installed package (`npm install --no-save <tarball>` here, as bench.sh does).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const here = import.meta.dirname;
const credentials = { AWS_ACCESS_KEY_ID: 'AKIDBENCH', AWS_SECRET_ACCESS_KEY: 'bench-secret', AWS_EC2_METADATA_DISABLED: 'true' };
const [mode, client, url, count, warmup] = process.argv.slice(2);

// The clients, as a user writes them.
async function ours() {
  const { openBackend } = await import('airflow-ssm-secrets');
  const ssm = await openBackend({ endpoint_url: url, region_name: 'us-east-1' });
  return { lookup: (key) => ssm.getVariable(key), close: () => ssm.close() };
}
async function sdk() {
  const { SSMClient, GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const ssm = new SSMClient({ region: 'us-east-1', endpoint: url });
  return {
    lookup: async (key) => (await ssm.send(new GetParameterCommand({ Name: `/airflow/variables/${key}`, WithDecryption: true }))).Parameter.Value,
    close: () => ssm.destroy(),
  };
}
const clients = { ours, sdk };

if (mode === 'warm') {
  const c = await clients[client]();
  for (let i = 0; i < Number(warmup); i++) await c.lookup(`warm${i}`);
  const n = Number(count);
  const before = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if ((await c.lookup(`k${i}`)) !== `postgres://u:p@db.internal:5432/k${i}`) throw new Error('wrong value');
  }
  const cpu = process.cpuUsage(before);
  const wall = performance.now() - t0;
  await c.close();
  console.log(JSON.stringify({ cpuUs: (cpu.user + cpu.system) / n, wallUs: (wall * 1000) / n }));
} else if (mode === 'first') {
  const t0 = performance.now();
  const c = await clients[client]();
  const value = await c.lookup('first');
  const ms = performance.now() - t0;
  if (value !== 'postgres://u:p@db.internal:5432/first') throw new Error('wrong value');
  console.log(JSON.stringify({ ms }));
  await c.close();
} else {
  await main();
}

async function main() {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const runs = option('--runs', 7);
  const warmup = option('--warmup', 3000);
  const lookups = option('--lookups', 3000);
  if (!existsSync(join(here, 'node_modules', 'airflow-ssm-secrets'))) {
    throw new Error('install the package here first: npm install --no-save <target/npm/airflow-ssm-secrets-*.tgz> (bench.sh does)');
  }
  const portFile = join(mkdtempSync(join(tmpdir(), 'ssm-bench-mock-')), 'port');
  const mock = spawn('python3', [resolve(here, '..', 'mock_ssm.py'), portFile], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 400 && !(existsSync(portFile) && readFileSync(portFile, 'utf8')); i++) await new Promise((r) => setTimeout(r, 25));
    const mockUrl = `http://127.0.0.1:${readFileSync(portFile, 'utf8')}`;
    const child = (...argv) => {
      const out = spawnSync(process.execPath, [join(here, 'bench.mjs'), ...argv, mockUrl, String(lookups), String(warmup)], {
        cwd: here,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', ...credentials },
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`${argv.join(' ')} failed: ${out.stderr}`);
      return JSON.parse(out.stdout);
    };
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const range = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)}`;
    const loads = [loadavg()[0]];
    const warm = { ours: [], sdk: [] };
    const first = { ours: [], sdk: [] };
    for (let r = 0; r < runs; r++) {
      for (const name of r % 2 ? ['sdk', 'ours'] : ['ours', 'sdk']) {
        warm[name].push(child('warm', name).cpuUs);
        first[name].push(child('first', name).ms);
      }
      loads.push(loadavg()[0]);
    }
    const report = {
      node: process.version,
      runs,
      warmup,
      lookups,
      loadAverage1m: { before: loads[0], during: loads.slice(1).map((l) => +l.toFixed(2)) },
      cpuUsPerWarmLookup: {
        ours: { median: +median(warm.ours).toFixed(0), range: range(warm.ours) },
        sdk: { median: +median(warm.sdk).toFixed(0), range: range(warm.sdk) },
      },
      firstLookupMs: {
        ours: { median: +median(first.ours).toFixed(1), range: range(first.ours) },
        sdk: { median: +median(first.sdk).toFixed(1), range: range(first.sdk) },
      },
    };
    console.log(JSON.stringify(report, null, 2));
    console.log(`client CPU per warm lookup: ours ${report.cpuUsPerWarmLookup.ours.median} us, @aws-sdk/client-ssm ${report.cpuUsPerWarmLookup.sdk.median} us (medians of ${runs})`);
    console.log(`first lookup of a new process: ours ${report.firstLookupMs.ours.median} ms, @aws-sdk/client-ssm ${report.firstLookupMs.sdk.median} ms`);
    console.log(`load average (1 min) before: ${loads[0].toFixed(2)}, after each run: ${loads.slice(1).map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    mock.kill();
  }
}
