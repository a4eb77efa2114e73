// The ssm-secrets component in Node, through jco: Airflow's SSM Parameter Store lookups with
// the same backend_kwargs, run sandboxed.
//
// The component sees only the AWS_* environment variables (plus the shared-file locations under
// ~/.aws) and read-only access to nothing but the directories of those files: preview2-shim's
// defaults (the whole process environment, the whole filesystem) are replaced before use.
// Outgoing HTTP goes through preview2-shim, which has no allow-list hook.

import { dirname, join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { _setEnv } from '@bytecodealliance/preview2-shim/cli';
import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';
import { lookup } from './generated/ssm_secrets.js';

/** A failed lookup: `kind` is the WIT error case, `code` the AWS error code if any. */
export class SsmSecretsError extends Error {
  constructor(error) {
    const payload = error.val;
    const detail = typeof payload === 'string'
      ? payload
      : `${payload.code} (HTTP ${payload.status}): ${payload.message}`;
    super(`${error.tag}: ${detail}`);
    this.name = 'SsmSecretsError';
    this.kind = error.tag;
    this.code = typeof payload === 'string' ? undefined : payload.code;
  }
}

function componentEnv(env) {
  const grant = Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('AWS_')));
  if (env.HOME) {
    grant.AWS_CONFIG_FILE ??= join(env.HOME, '.aws', 'config');
    grant.AWS_SHARED_CREDENTIALS_FILE ??= join(env.HOME, '.aws', 'credentials');
  }
  return grant;
}

function readableDirs(grant, kwargs) {
  const files = ['AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'].map((k) => grant[k]).filter(Boolean);
  if (kwargs.assume_role_with_web_identity_token_file) {
    files.push(kwargs.assume_role_with_web_identity_token_file);
  }
  const dirs = new Set(files.map((f) => dirname(resolve(f))));
  return Object.fromEntries([...dirs].filter((d) => existsSync(d) && statSync(d).isDirectory()).map((d) => [d, d]));
}

/** Runs `f`, turning the component's error results into `SsmSecretsError`. */
function call(f) {
  try {
    return f();
  } catch (e) {
    if (e && e.payload && typeof e.payload.tag === 'string') throw new SsmSecretsError(e.payload);
    throw e;
  }
}

/** The connection as the CLI prints it (`conn_id`, `conn_type`, ..., `uri`). */
function connectionObject(c) {
  if (c === undefined) return null;
  return {
    conn_id: c.connId ?? null,
    conn_type: c.connType ?? null,
    description: c.description ?? null,
    host: c.host ?? null,
    schema: c.schema ?? null,
    login: c.login ?? null,
    password: c.password ?? null,
    port: c.port === undefined ? null : Number(c.port),
    extra: c.extra ?? null,
    uri: lookup.connectionUri(c),
  };
}

/** Opens a backend from Airflow's `backend_kwargs` (an object). Not found is `null`. */
export function openBackend(kwargs = {}, env = process.env) {
  const grant = componentEnv(env);
  _setEnv(grant);
  _setPreopens(readableDirs(grant, kwargs));
  const backend = call(() => lookup.Backend.open(JSON.stringify(kwargs)));
  const value = (v) => (v === undefined ? null : v);
  return {
    getConnValue: (id, team) => value(call(() => backend.getConnValue(id, team))),
    getConnection: (id, team) => connectionObject(call(() => backend.getConnection(id, team))),
    getVariable: (key, team) => value(call(() => backend.getVariable(key, team))),
    getConfig: (key) => value(call(() => backend.getConfig(key))),
    getVariables: (keys, team) => call(() => backend.getVariables(keys, team)).map((r) => {
      if (r.tag === 'err') throw new SsmSecretsError(r.val);
      return value(r.val);
    }),
    clearCache: () => backend.clearCache(),
  };
}

/** Parses a connection value exactly as Airflow does, offline. */
export function parseConnection(connId, value) {
  return connectionObject(call(() => lookup.parseConnection(connId, value)));
}
