// The WASI 0.2 imports of the ssm-secrets component, for one component instance: exactly the
// functions it imports (see `imports` below), with least privilege.
//
// - wasi:http: outgoing requests only to the granted endpoints (`scheme://host:port`), refused
//   in `handle` before anything leaves; an allowed request is handed to `transport`, which sends
//   it (in a backend's worker: the main thread's keep-alive agent, see worker.js and http.js).
// - wasi:cli/environment: the variables given (the AWS_* ones), nothing else.
// - wasi:filesystem: the given directories, read-only; a path cannot leave its directory
//   (`..` and symbolic links are resolved first and checked).
// - wasi:io, clocks, random: what the above need.
//
// Why not preview2-shim (jco's default WASI): its streams, pollables and HTTP futures are
// handles into one synchronous I/O worker thread, and every call on them (each body write,
// read, poll) is a blocking round trip to that thread: ~1.6 ms of CPU per lookup. Its classes
// cannot carry our bytes (jco checks that a stream is an instance of the imported class, and
// preview2-shim's are backed only by its worker), so replacing its wasi:http means replacing
// its wasi:io, and with it the interfaces that hand out streams and pollables (cli, clocks,
// filesystem). See docs/node.md.

import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, lstatSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

const dispose = Symbol.dispose || Symbol.for('dispose');

/** The largest reply body a transport hands over: the component refuses more than 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024 + 1;

// wasi:io -----------------------------------------------------------------------------------

class IoError {
  constructor(message) {
    this.message = message;
  }
  toDebugString() {
    return this.message;
  }
}

/** Sleeps the calling thread (a worker's; the main thread never blocks on a pollable). */
function sleepNs(ns) {
  if (ns <= 0n) return;
  const ms = Number(ns / 1_000_000n) + (ns % 1_000_000n ? 1 : 0);
  Atomics.wait(sleeper, 0, 0, ms);
}
const sleeper = new Int32Array(new SharedArrayBuffer(4));

class Pollable {
  /** `wait()` blocks until ready; `isReady()` says whether it is. */
  constructor(isReady, wait) {
    this.isReady = isReady;
    this.wait = wait;
  }
  ready() {
    return this.isReady();
  }
  block() {
    if (!this.isReady()) this.wait();
  }
}
const readyPollable = () => new Pollable(() => true, () => {});

class InputStream {
  /** `source.read(len)` returns bytes, or `undefined` at the end. */
  constructor(source) {
    this.source = source;
  }
  read(len) {
    const bytes = this.source.read(Number(len));
    if (bytes === undefined) throw { tag: 'closed' };
    return bytes;
  }
  blockingRead(len) {
    return this.read(len);
  }
  skip(len) {
    return BigInt(this.read(len).length);
  }
  blockingSkip(len) {
    return this.skip(len);
  }
  subscribe() {
    return readyPollable();
  }
  [dispose]() {
    this.source.close?.();
  }
}

/** Bytes already in memory (a reply body). */
class BytesSource {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }
  read(len) {
    if (this.at >= this.bytes.length && len > 0) return undefined;
    const chunk = this.bytes.subarray(this.at, this.at + len);
    this.at += chunk.length;
    return chunk;
  }
}

/** A read-only file from its offset. */
class FileSource {
  constructor(fd, offset) {
    this.fd = fd;
    this.at = offset;
  }
  read(len) {
    const buffer = new Uint8Array(Math.min(len, 1 << 20));
    let n;
    try {
      n = readSync(this.fd, buffer, 0, buffer.length, this.at);
    } catch (e) {
      throw { tag: 'last-operation-failed', val: new IoError(e.code || 'read failed') };
    }
    if (n === 0 && len > 0) return undefined;
    this.at += n;
    return buffer.subarray(0, n);
  }
}

class OutputStream {
  /** `sink.write(bytes)` takes the bytes. */
  constructor(sink) {
    this.sink = sink;
  }
  checkWrite() {
    return 1n << 20n;
  }
  write(bytes) {
    this.sink.write(bytes);
  }
  blockingWriteAndFlush(bytes) {
    this.sink.write(bytes);
  }
  flush() {}
  blockingFlush() {}
  subscribe() {
    return readyPollable();
  }
  writeZeroes(len) {
    this.sink.write(new Uint8Array(Number(len)));
  }
  blockingWriteZeroesAndFlush(len) {
    this.writeZeroes(len);
  }
}

/** The component's stdout and stderr (it writes only when it panics): the process's stderr. */
const consoleSink = { write: (bytes) => process.stderr.write(Buffer.from(bytes)) };

// wasi:http ---------------------------------------------------------------------------------

/** Headers a component may not set (wasmtime-wasi-http's list): the host owns the connection. */
const FORBIDDEN = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host',
  'proxy-authenticate', 'proxy-authorization', 'http2-settings']);
/** A header name (RFC 9110 `token`); a value may hold any byte but controls other than tab. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]+$/;
const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

class Fields {
  constructor() {
    this.list = [];
    this.immutable = false;
  }
  static fromList(entries) {
    const fields = new Fields();
    for (const [name, value] of entries) {
      const lower = name.toLowerCase();
      if (!TOKEN.test(lower) || value.some((b) => (b < 0x20 && b !== 0x09) || b === 0x7f)) throw { tag: 'invalid-syntax' };
      if (FORBIDDEN.has(lower)) throw { tag: 'forbidden' };
      fields.list.push([lower, value]);
    }
    return fields;
  }
  static received(pairs) {
    const fields = new Fields();
    fields.list = pairs.map(([name, value]) => [name, textEncoder.encode(value)]);
    fields.immutable = true;
    return fields;
  }
  get(name) {
    const lower = name.toLowerCase();
    return this.list.filter(([n]) => n === lower).map(([, v]) => v);
  }
  has(name) {
    return this.get(name).length > 0;
  }
  entries() {
    return this.list.slice();
  }
}

const schemeName = (scheme) => {
  if (scheme === undefined || scheme.tag === 'HTTPS') return 'https';
  if (scheme.tag === 'HTTP') return 'http';
  return scheme.val.toLowerCase();
};

class RequestOptions {
  constructor() {
    this.connect = undefined;
    this.firstByte = undefined;
    this.betweenBytes = undefined;
  }
  connectTimeout() {
    return this.connect;
  }
  setConnectTimeout(ns) {
    this.connect = ns;
  }
  firstByteTimeout() {
    return this.firstByte;
  }
  setFirstByteTimeout(ns) {
    this.firstByte = ns;
  }
  betweenBytesTimeout() {
    return this.betweenBytes;
  }
  setBetweenBytesTimeout(ns) {
    this.betweenBytes = ns;
  }
}

class OutgoingBody {
  constructor() {
    this.chunks = [];
    this.size = 0;
    this.stream = undefined;
    this.finished = false;
    this.onFinish = undefined;
  }
  write() {
    if (this.stream) throw undefined;
    this.stream = new OutputStream({
      write: (bytes) => {
        if (this.finished) throw { tag: 'closed' };
        this.chunks.push(bytes.slice());
        this.size += bytes.length;
      },
    });
    return this.stream;
  }
  static finish(body, trailers) {
    if (trailers !== undefined) throw { tag: 'internal-error', val: 'trailers are not supported' };
    if (body.finished) throw { tag: 'internal-error', val: 'the body is already finished' };
    body.finished = true;
    body.onFinish?.();
  }
  bytes() {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
  }
}

class OutgoingRequest {
  constructor(headers) {
    headers.immutable = true;
    this.fields = headers;
    this.verb = { tag: 'get' };
    this.protocol = undefined;
    this.host = undefined;
    this.target = undefined;
    this.outgoing = new OutgoingBody();
    this.bodyTaken = false;
  }
  body() {
    if (this.bodyTaken) throw undefined;
    this.bodyTaken = true;
    return this.outgoing;
  }
  method() {
    return this.verb;
  }
  setMethod(method) {
    if (method.tag === 'other' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method.val)) throw undefined;
    this.verb = method;
  }
  pathWithQuery() {
    return this.target;
  }
  setPathWithQuery(path) {
    if (path !== undefined && !/^[\x21-\x7e]*$/.test(path)) throw undefined;
    this.target = path;
  }
  scheme() {
    return this.protocol;
  }
  setScheme(scheme) {
    if (scheme?.tag === 'other' && !/^[a-zA-Z][a-zA-Z0-9+.-]*$/.test(scheme.val)) throw undefined;
    this.protocol = scheme;
  }
  authority() {
    return this.host;
  }
  setAuthority(authority) {
    if (authority !== undefined && !/^[A-Za-z0-9.\-_~%!$&'()*+,;=:[\]]*$/.test(authority)) throw undefined;
    this.host = authority;
  }
  headers() {
    return this.fields;
  }
}

class IncomingBody {
  constructor(bytes) {
    this.bytes = bytes;
    this.taken = false;
  }
  stream() {
    if (this.taken) throw undefined;
    this.taken = true;
    return new InputStream(new BytesSource(this.bytes));
  }
}

class IncomingResponse {
  constructor(reply) {
    this.code = reply.status;
    this.fields = Fields.received(reply.headers);
    this.body = new IncomingBody(reply.body);
    this.consumed = false;
  }
  status() {
    return this.code;
  }
  headers() {
    return this.fields;
  }
  consume() {
    if (this.consumed) throw undefined;
    this.consumed = true;
    return this.body;
  }
}

class FutureIncomingResponse {
  /** `outcome()` blocks until the exchange ends and returns the reply or the error code. */
  constructor(peek, outcome) {
    this.peek = peek;
    this.outcome = outcome;
    this.taken = false;
  }
  subscribe() {
    return new Pollable(() => this.taken || this.peek(), () => this.outcome());
  }
  get() {
    if (this.taken) return { tag: 'err', val: undefined };
    if (!this.peek()) return undefined;
    this.taken = true;
    const result = this.outcome();
    return { tag: 'ok', val: result.error ? { tag: 'err', val: result.error } : { tag: 'ok', val: new IncomingResponse(result) } };
  }
}

/** `scheme://host:port` of a request, as `grants.endpoints` spells endpoints. */
export function endpointKey(scheme, authority) {
  let host = authority;
  let port;
  const bracket = authority.lastIndexOf(']');
  const colon = authority.lastIndexOf(':');
  if (colon > bracket) {
    host = authority.slice(0, colon);
    port = authority.slice(colon + 1);
  }
  if (port === undefined || port === '') port = scheme === 'http' ? '80' : scheme === 'https' ? '443' : '';
  return `${scheme}://${host.toLowerCase()}:${Number(port)}`;
}

const randomU64 = () => (BigInt(Math.floor(Math.random() * 2 ** 32)) << 32n) | BigInt(Math.floor(Math.random() * 2 ** 32));

// wasi:filesystem ---------------------------------------------------------------------------

/** A read-only descriptor: a directory under a granted root, or a file opened from one. */
class Descriptor {
  constructor(root, path, fd, directory) {
    this.root = root; // the granted directory, resolved
    this.path = path; // this descriptor's resolved path
    this.fd = fd;
    this.directory = directory;
  }
  getType() {
    return this.directory ? 'directory' : lookupType(this.stats());
  }
  getFlags() {
    return { read: true };
  }
  stats() {
    try {
      return this.fd === undefined ? lstatSync(this.path, { bigint: true }) : fstatSync(this.fd, { bigint: true });
    } catch (e) {
      throw fsError(e);
    }
  }
  stat() {
    return descriptorStat(this.stats());
  }
  metadataHash() {
    const s = this.stats();
    return { upper: BigInt.asUintN(64, s.mtimeNs ^ (s.dev << 32n)), lower: BigInt.asUintN(64, s.ino ^ s.size) };
  }
  openAt(pathFlags, path, openFlags, descriptorFlags) {
    if (!this.directory) throw 'not-directory';
    if (openFlags.create || openFlags.exclusive || openFlags.truncate || descriptorFlags.write || descriptorFlags.mutateDirectory) {
      throw 'read-only';
    }
    const target = this.resolve(path, pathFlags.symlinkFollow);
    let fd;
    try {
      fd = openSync(target, constants.O_RDONLY | (openFlags.directory ? constants.O_DIRECTORY : 0) | (pathFlags.symlinkFollow ? 0 : constants.O_NOFOLLOW));
    } catch (e) {
      throw fsError(e);
    }
    const isDirectory = fstatSync(fd).isDirectory();
    if (isDirectory) {
      closeSync(fd);
      return new Descriptor(this.root, target, undefined, true);
    }
    return new Descriptor(this.root, target, fd, false);
  }
  readViaStream(offset) {
    if (this.directory) throw 'is-directory';
    return new InputStream(new FileSource(this.fd, Number(offset)));
  }
  writeViaStream() {
    throw 'read-only';
  }
  appendViaStream() {
    throw 'read-only';
  }
  /** `path` under this directory, symbolic links resolved, refused if it leaves the root. */
  resolve(path, followFinal) {
    if (isAbsolute(path) || path.includes('\0')) throw 'not-permitted';
    const joined = join(this.path, path);
    if (!within(this.root, joined)) throw 'not-permitted';
    let resolved;
    try {
      if (followFinal) {
        resolved = realpathSync(joined);
      } else {
        resolved = join(realpathSync(dirname(joined)), basename(joined));
      }
    } catch (e) {
      throw fsError(e);
    }
    if (!within(this.root, resolved)) throw 'not-permitted';
    return resolved;
  }
  [dispose]() {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

const within = (root, path) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

function lookupType(s) {
  if (s.isFile()) return 'regular-file';
  if (s.isDirectory()) return 'directory';
  if (s.isSymbolicLink()) return 'symbolic-link';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice()) return 'character-device';
  if (s.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const timestamp = (ns) => ({ seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) });

function descriptorStat(s) {
  return {
    type: lookupType(s),
    linkCount: s.nlink,
    size: s.size,
    dataAccessTimestamp: timestamp(s.atimeNs),
    dataModificationTimestamp: timestamp(s.mtimeNs),
    statusChangeTimestamp: timestamp(s.ctimeNs),
  };
}

function fsError(e) {
  switch (e?.code) {
    case 'ENOENT': return 'no-entry';
    case 'EACCES': return 'access';
    case 'EPERM': return 'not-permitted';
    case 'ENOTDIR': return 'not-directory';
    case 'EISDIR': return 'is-directory';
    case 'ELOOP': return 'loop';
    case 'ENAMETOOLONG': return 'name-too-long';
    case 'EMFILE': case 'ENFILE': return 'insufficient-memory';
    case 'EBADF': return 'bad-descriptor';
    default: return 'io';
  }
}

/** Preopened directories that exist, each at its own path: `[[Descriptor, path], ...]`. */
function preopenDescriptors(dirs) {
  const out = [];
  for (const dir of dirs) {
    let root;
    try {
      root = realpathSync(dir);
      if (!lstatSync(root).isDirectory()) continue;
    } catch {
      continue;
    }
    out.push([new Descriptor(root, root, undefined, true), dir]);
  }
  return out;
}

// The imports -------------------------------------------------------------------------------

class TerminalInput {}
class TerminalOutput {}

/**
 * The imports of one component instance.
 *
 * - `env`: `{name: value}`, the only variables it sees;
 * - `dirs`: absolute directories it may read (nothing else of the filesystem);
 * - `allowed`: a Set of `scheme://host:port` it may send to (empty: no network);
 * - `transport`: `{ start(request), done(), wait() }`: `start` hands over an allowed request
 *   (`{ endpoint, method, scheme, authority, path, headers, body, timeouts }`), `done()` says
 *   whether its outcome is there, `wait()` blocks until it is and returns it (`{ status,
 *   headers: [[name, value]], body }` or `{ error: <wasi:http error-code> }`);
 * - `refused(endpoint)`: told of each refused request.
 */
export function wasiImports({ env = {}, dirs = [], allowed = new Set(), transport, refused = () => {} }) {
  const environment = Object.entries(env);
  const preopens = preopenDescriptors(dirs);

  function handle(request, options) {
    if (request.host === undefined || request.target === undefined) throw { tag: 'HTTP-request-URI-invalid' };
    const scheme = schemeName(request.protocol);
    const endpoint = endpointKey(scheme, request.host);
    if (!allowed.has(endpoint) || !transport) {
      refused(endpoint);
      throw { tag: 'HTTP-request-denied' };
    }
    const body = request.outgoing;
    let outcome;
    let started = false;
    const start = () => {
      started = true;
      transport.start({
        endpoint,
        method: request.verb.tag === 'other' ? request.verb.val : request.verb.tag.toUpperCase(),
        scheme,
        authority: request.host,
        path: request.target,
        headers: request.fields.list.map(([name, value]) => [name, textDecoder.decode(value)]),
        body: body.bytes(),
        timeouts: {
          connect: options?.connect,
          firstByte: options?.firstByte,
          betweenBytes: options?.betweenBytes,
        },
      });
    };
    if (body.finished) start();
    else body.onFinish = start;
    const settle = () => {
      if (outcome === undefined) {
        outcome = started ? transport.wait() : { error: { tag: 'internal-error', val: 'the request body was never finished' } };
      }
      return outcome;
    };
    return new FutureIncomingResponse(() => outcome !== undefined || (started && transport.done()), settle);
  }

  return {
    'wasi:cli/environment': {
      getEnvironment: () => environment,
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit(status) {
        throw new Error(`the component exited (${status.tag})`);
      },
    },
    'wasi:cli/stdin': { getStdin: () => new InputStream({ read: () => undefined }) },
    'wasi:cli/stdout': { getStdout: () => new OutputStream(consoleSink) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(consoleSink) },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: () => process.hrtime.bigint(),
      resolution: () => 1n,
      subscribeDuration(ns) {
        const deadline = process.hrtime.bigint() + ns;
        return new Pollable(() => process.hrtime.bigint() >= deadline, () => sleepNs(deadline - process.hrtime.bigint()));
      },
      subscribeInstant(deadline) {
        return new Pollable(() => process.hrtime.bigint() >= deadline, () => sleepNs(deadline - process.hrtime.bigint()));
      },
    },
    'wasi:clocks/wall-clock': {
      now() {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
    'wasi:filesystem/preopens': { getDirectories: () => preopens },
    'wasi:filesystem/types': {
      Descriptor,
      filesystemErrorCode: () => undefined,
    },
    'wasi:http/outgoing-handler': { handle },
    'wasi:http/types': {
      Fields,
      FutureIncomingResponse,
      IncomingBody,
      IncomingResponse,
      OutgoingBody,
      OutgoingRequest,
      RequestOptions,
      httpErrorCode: () => undefined,
    },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': {
      Pollable,
      poll(list) {
        for (;;) {
          const ready = list.flatMap((p, i) => (p.ready() ? [i] : []));
          if (ready.length) return new Uint32Array(ready);
          list[0].block();
        }
      },
    },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/insecure-seed': {
      // Seeds the component's hash maps; "insecure" by definition, so Math.random (no crypto
      // module to load on the way to the first lookup).
      insecureSeed: () => [randomU64(), randomU64()],
    },
  };
}
