// Shared by the Node tests: where the Rust CLI and the component are, and the loopback SSM mock
// (bench/mock_ssm.py, in a child process).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
/** The Rust host CLI (`cargo build --release -p host-example`; scripts/test.sh builds it). */
export const host = process.env.SSM_SECRETS_HOST ?? join(target, 'release', 'host-example');
/** The component the CLI loads: the one js/ was built from. */
export const component = process.env.SSM_SECRETS_COMPONENT ?? join(target, 'wasm32-wasip2', 'component', 'ssm_secrets.wasm');
export const env = { AWS_ACCESS_KEY_ID: 'AKIDNODE', AWS_SECRET_ACCESS_KEY: 'node-secret', AWS_EC2_METADATA_DISABLED: 'true' };

/** Starts bench/mock_ssm.py on a free loopback port: `{ url, counts(), stop() }`. */
export async function startMock(extraEnv = {}) {
  const portFile = join(mkdtempSync(join(tmpdir(), 'ssm-mock-')), 'port');
  const child = spawn('python3', [join(root, 'bench', 'mock_ssm.py'), portFile], { stdio: 'ignore', env: { ...process.env, ...extraEnv } });
  for (let i = 0; i < 400 && !(existsSync(portFile) && readFileSync(portFile, 'utf8')); i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = `http://127.0.0.1:${readFileSync(portFile, 'utf8')}`;
  return {
    url,
    counts: async () => (await fetch(url)).json(),
    stop: () => child.kill(),
  };
}

/** The Rust host CLI's `--json` lines for the same command. */
export function rust(kwargs, args, extraEnv = env) {
  const out = spawnSync(host, ['--component', component, '--backend-kwargs', JSON.stringify(kwargs), '--json', ...args], {
    env: { PATH: process.env.PATH, ...extraEnv, SSM_SECRETS_NO_CACHE: '1' },
    encoding: 'utf8',
  });
  return out.stdout.trim().split('\n').map((line) => JSON.parse(line));
}
