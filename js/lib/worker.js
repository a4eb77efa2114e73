// A backend's worker thread: one component instance, run synchronously here so that the main
// thread never waits for it. The main thread posts calls (`{ id, op, args }`) and gets
// `{ id, ok }` or `{ id, err }` back, in order.
//
// HTTP: the component's `wasi:http/outgoing-handler` is ours (wasi.js). It refuses any endpoint
// outside the grants; an allowed request is posted to the main thread, which sends it with its
// keep-alive agent (http.js), puts the reply in the shared mailbox (mailbox.js) and wakes this
// thread, which sleeps in Atomics.wait meanwhile: no polling, no event loop turn.

import { parentPort, workerData } from 'node:worker_threads';
import { dirname, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { instantiate } from '../generated/ssm_secrets.js';
import { wasiImports } from './wasi.js';
import { Mailbox } from './mailbox.js';
import { connectionObject } from './connection.js';

const { port, buffer, env, kwargs, semantics, allow } = workerData;
const mailbox = new Mailbox(buffer, port);
// The compiled core modules come once the main thread has them (it compiles while this thread
// starts, and shares them between backends).
const modules = mailbox.take();

/** The directories of `files` that exist. */
function dirsOf(files) {
  const dirs = new Set(files.filter(Boolean).map((f) => dirname(resolve(f))));
  return [...dirs].filter((d) => existsSync(d) && statSync(d).isDirectory());
}

function instance(options) {
  return instantiate((name) => modules[name], wasiImports({ env, ...options })).lookup;
}

const transport = {
  start(request) {
    mailbox.clear();
    const body = request.body;
    parentPort.postMessage({ http: request }, body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? [body.buffer] : []);
  },
  done: () => mailbox.ready(),
  wait() {
    const outcome = mailbox.take();
    if (outcome.why) failure = outcome.why;
    return outcome;
  },
};

/** Why the last request failed in words (a refused endpoint, a Node network error), once. */
let failure;

/** The component's error as `{ tag, val }`, a transport error with `failure` added. */
function errorOf(e) {
  const payload = e?.payload;
  if (!payload || typeof payload.tag !== 'string') throw e;
  return explain(payload);
}
function explain(error) {
  if (error.tag === 'transport' && failure) return { tag: error.tag, val: `${error.val} (${failure})` };
  return error;
}

// Plan in an instance that sees the AWS_* variables and the shared files' directories, then
// grant the lookups' instance exactly that plan: its endpoints, and the directories of the files
// its credential chain reads. A configuration that cannot be planned grants nothing, and `open`
// reports why.
let grants = { endpoints: [], readOnlyFiles: [], routes: [] };
try {
  const planner = instance({ dirs: dirsOf([env.AWS_CONFIG_FILE, env.AWS_SHARED_CREDENTIALS_FILE]) });
  grants = planner.planGrants(kwargs);
} catch (e) {
  errorOf(e); // rethrows anything but the component's own error
}
// The endpoints it may reach: the plan's, narrowed by the caller's `allow` if given.
const allowed = grants.endpoints.filter((e) => !allow || allow.includes(e));
const lookup = instance({
  dirs: dirsOf(grants.readOnlyFiles),
  allowed: new Set(allowed),
  transport,
  refused(endpoint) {
    failure = `${endpoint} is not among the granted endpoints`;
  },
});

let backend;
let connectionSemantics = semantics;
try {
  backend = lookup.Backend.open(kwargs);
  backend.setConnectionSemantics(connectionSemantics);
  parentPort.postMessage({ id: 0, ok: { grants, allowed } });
} catch (e) {
  parentPort.postMessage({ id: 0, err: errorOf(e) });
}

const value = (v) => (v === undefined ? null : v);
const connection = (c) =>
  c === undefined ? null : connectionObject(c, lookup.connectionUri(c, connectionSemantics));
const many = (results, f) => results.map((r) => (r.tag === 'ok' ? { ok: f(r.val) } : { err: explain(r.val) }));


const ops = {
  getConnValue: (id, team) => value(backend.getConnValue(id, team)),
  getConnection: (id, team) => connection(backend.getConnection(id, team)),
  getVariable: (key, team) => value(backend.getVariable(key, team)),
  getConfig: (key) => value(backend.getConfig(key)),
  getConnValues: (ids, team) => many(backend.getConnValues(ids, team), value),
  getConnections: (ids, team) => many(backend.getConnections(ids, team), connection),
  getVariables: (keys, team) => many(backend.getVariables(keys, team), value),
  getConfigs: (keys) => many(backend.getConfigs(keys), value),
  getParameters: (names) => many(backend.getParameters(names), value),
  clearCache: () => backend.clearCache(),
  setConnectionSemantics(s) {
    backend.setConnectionSemantics(s);
    connectionSemantics = s;
  },
};

parentPort.on('message', ({ id, op, args }) => {
  failure = undefined;
  let message;
  try {
    message = { id, ok: ops[op](...args) };
  } catch (e) {
    message = { id, err: errorOf(e) };
  }
  parentPort.postMessage(message);
});
