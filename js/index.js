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

/** `{dir: dir}` preopens for the directories of `files` that exist. */
function dirsOf(files) {
  const dirs = new Set(files.filter(Boolean).map((f) => dirname(resolve(f))));
  return Object.fromEntries([...dirs].filter((d) => existsSync(d) && statSync(d).isDirectory()).map((d) => [d, d]));
}

/**
 * The directories to preopen, as the component's own credential plan says (`grants`): the
 * host does not guess. Planning sees the AWS_* variables and the shared files' directories;
 * the lookups then see only the directories of the files the chain really reads (a profile's
 * `web_identity_token_file` included). A configuration that cannot be planned grants nothing,
 * and `open` reports why.
 */
function grantedDirs(env, kwargs) {
  try {
    return dirsOf(plannedGrants(kwargs, env).readOnlyFiles);
  } catch {
    return {};
  }
}

/**
 * What `kwargs` needs from its host, as the component plans it with `env`'s AWS_* variables:
 * `{ endpoints: ['scheme://host:port', ...], readOnlyFiles: [...], routes: [{ endpoint,
 * caBundle, proxy }, ...] }` (a route per endpoint: the CA bundle and the `config_kwargs` proxy
 * botocore's client would use, `undefined` when none; a proxy URL may hold a password).
 * Offline.
 */
export function plannedGrants(kwargs = {}, env = process.env) {
  const grant = componentEnv(env);
  _setEnv(grant);
  _setPreopens(dirsOf([grant.AWS_CONFIG_FILE, grant.AWS_SHARED_CREDENTIALS_FILE]));
  return call(() => lookup.planGrants(JSON.stringify(kwargs)));
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
function connectionObject(c, semantics = 'core') {
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
    uri: lookup.connectionUri(c, semantics),
  };
}

/** Opens a backend from Airflow's `backend_kwargs` (an object). Not found is `null`. */
export function openBackend(kwargs = {}, env = process.env) {
  const grant = componentEnv(env);
  const dirs = grantedDirs(env, kwargs);
  _setEnv(grant);
  _setPreopens(dirs);
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

/**
 * Parses a connection value exactly as Airflow does, offline: `semantics` is `core` (Airflow 3
 * core), `task-sdk` (Airflow 3 tasks) or `airflow2` (Airflow 2.10).
 */
export function parseConnection(connId, value, semantics = 'core') {
  return connectionObject(call(() => lookup.parseConnection(connId, value, semantics)), semantics);
}
