// Airflow's SSM Parameter Store lookups in Node: the ssm-secrets component (transpiled by jco),
// run sandboxed, with the same backend_kwargs as Airflow.
//
// Each backend runs its own component instance on its own worker thread, so every lookup is a
// Promise and the event loop never waits for one. The component reaches only the endpoints its
// configuration implies (its own `plan-grants`), refused before a connection is made; it sees
// only the AWS_* variables and, read-only, the directories of the files its credential chain
// reads. Its requests go out on this thread through Node's HTTP client with keep-alive agents.
// Design and numbers: docs/node.md.

import { Worker } from 'node:worker_threads';
import { dirname, join, resolve } from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { instantiate } from './generated/ssm_secrets.js';
import { wasiImports } from './lib/wasi.js';
import { Mailbox } from './lib/mailbox.js';
import { connectionObject } from './lib/connection.js';

const CORE_MODULES = ['ssm_secrets.core.wasm', 'ssm_secrets.core2.wasm', 'ssm_secrets.core3.wasm'];
const generated = (name) => new URL(`./generated/${name}`, import.meta.url);
const SEMANTICS = new Set(['core', 'task-sdk', 'airflow2']);

/** A failed lookup: `kind` is the WIT error case; `code` and `status` are AWS's, if any. */
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
    this.status = typeof payload === 'string' ? undefined : payload.status;
  }
}

// The compiled core modules, shared by every backend of the process (a backend is an instance,
// never a compile): compiled off the main thread, then handed to each worker.
let compiling;
let compiled;
function compiledModules() {
  compiling ??= Promise.all(CORE_MODULES.map(async (name) => [name, await WebAssembly.compile(await readFile(generated(name)))]))
    .then((entries) => (compiled ??= Object.fromEntries(entries)));
  return compiling;
}
/** The same, now: the offline functions compile synchronously if no backend has yet. */
function compiledModulesSync() {
  compiled ??= Object.fromEntries(CORE_MODULES.map((name) => [name, new WebAssembly.Module(readFileSync(generated(name)))]));
  return compiled;
}

/** The AWS_* variables of `env`, with the shared files' default locations under HOME. */
function componentEnv(env) {
  const grant = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('AWS_') && typeof v === 'string'));
  if (env.HOME) {
    grant.AWS_CONFIG_FILE ??= join(env.HOME, '.aws', 'config');
    grant.AWS_SHARED_CREDENTIALS_FILE ??= join(env.HOME, '.aws', 'credentials');
  }
  return grant;
}

function dirsOf(files) {
  const dirs = new Set(files.filter(Boolean).map((f) => dirname(resolve(f))));
  return [...dirs].filter((d) => existsSync(d) && statSync(d).isDirectory());
}

/**
 * The worker's Node flags: this process's (the default), or none when they are about the main
 * script: under `node --input-type=module -e ...` the worker would read its own file as that
 * input. (Filtering is not an option: flags given explicitly are re-parsed, and a per-process
 * one such as --trace-gc is then refused.)
 */
function workerExecArgv() {
  const scriptFlag = (a) => ['-e', '--eval', '-p', '--print'].includes(a) || /^--(input-type|eval|print)\b/.test(a);
  return process.execArgv.some(scriptFlag) ? [] : undefined;
}

/** `scheme://host:port` of a URL, as the grants spell endpoints. */
function endpointOf(url) {
  const u = new URL(url);
  const scheme = u.protocol.slice(0, -1);
  return `${scheme}://${u.hostname}:${u.port || (scheme === 'https' ? 443 : 80)}`;
}

const kwargsJson = (kwargs) => (typeof kwargs === 'string' ? kwargs : JSON.stringify(kwargs ?? {}));

/** Runs `f`, turning the component's error results into `SsmSecretsError`. */
function call(f) {
  try {
    return f();
  } catch (e) {
    if (e && e.payload && typeof e.payload.tag === 'string') throw new SsmSecretsError(e.payload);
    throw e;
  }
}

// The offline functions run on this thread, in an instance granted nothing.
let offline;
const offlineLookup = () => (offline ??= instantiate((name) => compiledModulesSync()[name], wasiImports({})).lookup);

/**
 * What `kwargs` needs from its host, as the component plans it with `env`'s AWS_* variables:
 * `{ endpoints, readOnlyFiles, routes }`. Offline: it reads the shared AWS files, sends nothing.
 */
export function plannedGrants(kwargs = {}, env = process.env) {
  const grant = componentEnv(env);
  const planner = instantiate((name) => compiledModulesSync()[name],
    wasiImports({ env: grant, dirs: dirsOf([grant.AWS_CONFIG_FILE, grant.AWS_SHARED_CREDENTIALS_FILE]) })).lookup;
  return call(() => planner.planGrants(kwargsJson(kwargs)));
}


function checkSemantics(semantics) {
  if (!SEMANTICS.has(semantics)) throw new TypeError(`connection semantics must be one of core, task-sdk, airflow2, not ${semantics}`);
  return semantics;
}

/**
 * Parses a connection value exactly as Airflow does, offline: `semantics` is `core` (Airflow 3
 * core), `task-sdk` (Airflow 3 tasks) or `airflow2` (Airflow 2.10).
 */
export function parseConnection(connId, value, semantics = 'core') {
  checkSemantics(semantics);
  return call(() => {
    const c = offlineLookup().parseConnection(connId, value, semantics);
    return connectionObject(c, offlineLookup().connectionUri(c, semantics));
  });
}

/** A connection's URI as the chosen class's `get_uri()` gives it, offline. */
export function connectionUri(connection, semantics = 'core') {
  checkSemantics(semantics);
  const opt = (v) => (v === null ? undefined : v);
  const record = {
    connId: opt(connection.conn_id),
    connType: opt(connection.conn_type),
    description: opt(connection.description),
    host: opt(connection.host),
    schema: opt(connection.schema),
    login: opt(connection.login),
    password: opt(connection.password),
    port: connection.port === null || connection.port === undefined ? undefined : BigInt(connection.port),
    extra: opt(connection.extra),
  };
  return call(() => offlineLookup().connectionUri(record, semantics));
}

// Single lookups that arrive while the worker is busy are sent together as one batch call of
// the same kind (the component sends their names in GetParameters of up to 10, and gives each
// exactly the result its single lookup would).
const BATCHED = { getConnValue: 'getConnValues', getConnection: 'getConnections', getVariable: 'getVariables', getConfig: 'getConfigs' };

/** Settles a call with a worker's answer: `{ ok }`, `{ err }` (the component's) or `{ failed }`. */
const settler = (resolveCall, rejectCall) => (m) => {
  if (m.failed) rejectCall(m.failed);
  else if (m.err) rejectCall(new SsmSecretsError(m.err));
  else resolveCall(m.ok);
};

/** The main thread's side of one backend's worker. Holds no reference to the `SsmBackend`. */
class Channel {
  constructor(worker, mailbox) {
    this.worker = worker;
    this.mailbox = mailbox;
    this.egress = undefined;
    this.calls = new Map();
    this.nextId = 1;
    this.queue = [];
    this.inflight = 1; // the open
    this.closed = undefined;
    worker.on('message', (message) => this.onMessage(message));
    worker.on('error', (e) => this.fail(e));
    worker.on('exit', (code) => this.fail(new Error(`the SSM backend's worker exited (${code})`)));
  }

  onMessage(message) {
    if (message.http) {
      this.exchange(message.http);
      return;
    }
    const settle = this.calls.get(message.id);
    this.calls.delete(message.id);
    this.inflight--;
    settle?.(message);
    if (this.inflight === 0 && !this.closed) {
      if (this.queue.length) {
        this.flush();
      } else {
        this.worker.unref();
        this.holder = undefined;
      }
    }
  }

  async exchange(request) {
    if (this.closed) return;
    const reply = this.egress
      ? await this.egress.send(request)
      : { error: { tag: 'HTTP-request-denied' }, why: `${request.endpoint} is not among the granted endpoints` };
    if (!this.closed) this.mailbox.put(reply);
  }

  /** Waits for the open: the grants, or the component's error. */
  opened() {
    return new Promise((resolveOpen, rejectOpen) => this.calls.set(0, settler(resolveOpen, rejectOpen)));
  }

  call(op, args) {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolveCall, rejectCall) => {
      this.queue.push({ op, args, resolve: resolveCall, reject: rejectCall });
      if (this.inflight === 0) this.flush();
    });
  }

  flush() {
    const queue = this.queue;
    this.queue = [];
    let groups = new Map();
    const emitGroups = () => {
      for (const items of groups.values()) this.sendGroup(items);
      groups = new Map();
    };
    for (const item of queue) {
      if (BATCHED[item.op]) {
        const team = item.op === 'getConfig' ? undefined : item.args[1];
        const key = `${item.op}\0${team ?? ''}\0${team === undefined ? 0 : 1}`;
        if (!groups.has(key)) groups.set(key, []);
        groups.get(key).push(item);
      } else {
        emitGroups();
        this.send(item.op, item.args, settler(item.resolve, item.reject));
      }
    }
    emitGroups();
  }

  sendGroup(items) {
    const [first] = items;
    if (items.length === 1) {
      this.send(first.op, first.args, settler(first.resolve, first.reject));
      return;
    }
    const keys = items.map((item) => item.args[0]);
    const args = first.op === 'getConfig' ? [keys] : [keys, first.args[1]];
    this.send(BATCHED[first.op], args, (m) => {
      items.forEach((item, i) => settler(item.resolve, item.reject)(m.ok ? m.ok[i] : m));
    });
  }

  send(op, args, settle) {
    const id = this.nextId++;
    this.calls.set(id, settle);
    if (this.inflight++ === 0) this.worker.ref();
    this.worker.postMessage({ id, op, args });
  }

  /** Ends the worker; every call not answered yet fails with `error`. */
  fail(error) {
    if (this.closed) return;
    this.closed = error;
    const settles = [...this.calls.values()];
    this.calls.clear();
    for (const settle of settles) settle({ failed: error });
    for (const item of this.queue) item.reject(error);
    this.queue = [];
    this.inflight = 0;
    this.holder = undefined;
    this.worker.terminate();
    this.egress?.close();
    this.mailbox.port.close();
  }
}

/** One backend: Airflow's lookups against SSM, each a Promise. Close it when done. */
class SsmBackend {
  #channel;
  #grants;
  constructor(channel, grants) {
    this.#channel = channel;
    this.#grants = grants;
  }

  /** What this backend is granted: `{ endpoints, readOnlyFiles, routes }` (its plan). */
  get grants() {
    return structuredClone(this.#grants);
  }

  #call(op, ...args) {
    // Busy, the channel keeps this object alive: it is not collected (and closed) under a call.
    this.#channel.holder = this;
    return this.#channel.call(op, args);
  }

  getConnValue(connId, team) {
    return this.#call('getConnValue', String(connId), team ?? undefined);
  }
  getConnection(connId, team) {
    return this.#call('getConnection', String(connId), team ?? undefined);
  }
  getVariable(key, team) {
    return this.#call('getVariable', String(key), team ?? undefined);
  }
  getConfig(key) {
    return this.#call('getConfig', String(key));
  }
  getConnValues(connIds, team) {
    return this.#many('getConnValues', [connIds.map(String), team ?? undefined]);
  }
  getConnections(connIds, team) {
    return this.#many('getConnections', [connIds.map(String), team ?? undefined]);
  }
  getVariables(keys, team) {
    return this.#many('getVariables', [keys.map(String), team ?? undefined]);
  }
  getConfigs(keys) {
    return this.#many('getConfigs', [keys.map(String)]);
  }
  getParameters(names) {
    return this.#many('getParameters', [names.map(String)]);
  }
  async #many(op, [keys, ...rest]) {
    const results = await this.#call(op, keys, ...rest);
    return results.map((r) => {
      if (r.err) throw new SsmSecretsError(r.err);
      return r.ok;
    });
  }
  clearCache() {
    return this.#call('clearCache');
  }
  setConnectionSemantics(semantics) {
    return this.#call('setConnectionSemantics', checkSemantics(semantics));
  }

  /** Ends the worker and closes the kept-alive connections; later calls reject. */
  async close() {
    const channel = this.#channel;
    if (!channel.closed) {
      closing.unregister(this);
      const ended = new Promise((r) => channel.worker.once('exit', r));
      channel.fail(new Error('the SSM backend is closed'));
      await ended;
    }
  }
}
if (Symbol.asyncDispose) SsmBackend.prototype[Symbol.asyncDispose] = SsmBackend.prototype.close;

// A backend that is dropped without `close()` ends its worker when it is garbage collected; its
// idle worker is unref'd, so it never keeps the process alive either.
const closing = new FinalizationRegistry((channel) => channel.fail(new Error('the SSM backend was garbage collected')));

/**
 * Opens a backend from Airflow's `backend_kwargs` (an object or its JSON). Resolves once the
 * component has accepted the configuration; rejects with `SsmSecretsError` when it does not.
 *
 * `options.env`: the variables whose AWS_* ones the component sees (`process.env` by default);
 * `options.connectionSemantics`: `core` (default), `task-sdk` or `airflow2`;
 * `options.allow`: narrows the endpoints it may reach (never beyond its plan).
 */
export async function openBackend(kwargs = {}, options = {}) {
  const env = componentEnv(options.env ?? process.env);
  const semantics = checkSemantics(options.connectionSemantics ?? 'core');
  const allow = options.allow === undefined ? undefined : options.allow.map(endpointOf);
  const { port1, port2 } = new MessageChannel();
  const buffer = Mailbox.buffer();
  // The worker starts while this thread compiles the component (once per process) and loads
  // its HTTP client.
  const worker = new Worker(new URL('./lib/worker.js', import.meta.url), {
    workerData: { port: port2, buffer, env, kwargs: kwargsJson(kwargs), semantics, allow },
    transferList: [port2],
    execArgv: workerExecArgv(),
    env: {},
    stdout: false,
    stderr: false,
  });
  const channel = new Channel(worker, new Mailbox(buffer, port1));
  const opening = channel.opened();
  let grants;
  try {
    const [modules, { Egress, RouteError }] = await Promise.all([compiledModules(), import('./lib/http.js')]);
    channel.mailbox.send(modules);
    let allowed;
    ({ grants, allowed } = await opening);
    try {
      channel.egress = new Egress({ ...grants, endpoints: allowed });
    } catch (e) {
      throw e instanceof RouteError ? new SsmSecretsError({ tag: 'configuration', val: e.message }) : e;
    }
  } catch (e) {
    channel.fail(e);
    throw e;
  }
  const backend = new SsmBackend(channel, grants);
  closing.register(backend, channel, backend);
  return backend;
}
