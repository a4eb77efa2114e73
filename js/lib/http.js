// The network side of a backend, on the main thread: the component's allowed requests (its
// worker sends them here) go out asynchronously through Node's own HTTP client, one keep-alive
// agent per granted endpoint, so connections stay open between lookups and the event loop never
// waits. Nothing here blocks.

import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { MAX_BODY_BYTES } from './wasi.js';

/** The host's caps on the component's timeouts (the Rust host's): a missing one gets the cap. */
const CAPS = { connect: 10_000, firstByte: 30_000, betweenBytes: 30_000 };

const capped = (ns, cap) => (ns === undefined ? cap : Math.max(1, Math.min(cap, Number(ns / 1_000_000n))));

/**
 * Sends the requests of one backend to its granted endpoints.
 *
 * `grants` is the component's plan (`endpoints`, `routes`): a request to anything else is
 * refused here too, before a connection is made (the worker has refused it already).
 */
export class Egress {
  constructor(grants) {
    this.allowed = new Set(grants.endpoints);
    this.agents = new Map();
    for (const route of grants.routes ?? []) {
      if (route.proxy !== undefined) {
        // The Node host has no proxy client; sending directly would not be what botocore does.
        throw new RouteError(`a proxy is configured for ${route.endpoint} (config_kwargs.proxies), which the Node host does not support`);
      }
      if (route.caBundle !== undefined && route.endpoint.startsWith('https://')) {
        let ca;
        try {
          ca = readFileSync(route.caBundle, 'utf8');
        } catch (e) {
          throw new RouteError(`the CA bundle ${route.caBundle} for ${route.endpoint} cannot be read (${e.code ?? e.message})`);
        }
        this.agents.set(route.endpoint, new https.Agent({ keepAlive: true, ca }));
      }
    }
  }

  agentFor(endpoint, scheme) {
    let agent = this.agents.get(endpoint);
    if (!agent) {
      agent = scheme === 'https' ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
      this.agents.set(endpoint, agent);
    }
    return agent;
  }

  /**
   * One exchange: resolves to `{ status, headers: [[name, value]], body }` or to `{ error,
   * why }` (a wasi:http `error-code` and the cause in words, which never holds a secret).
   */
  send(request) {
    return new Promise((resolve) => this.#send(request, resolve)).catch((e) => ({
      error: { tag: 'internal-error', val: 'the host could not send the request' },
      why: `${request.endpoint}: ${e?.code ?? ''} ${e?.message ?? e}`.slice(0, 300),
    }));
  }

  #send(request, resolve) {
    {
      if (!this.allowed.has(request.endpoint) || (request.scheme !== 'http' && request.scheme !== 'https')) {
        resolve({ error: { tag: 'HTTP-request-denied' }, why: `${request.endpoint} is not among the granted endpoints` });
        return;
      }
      const timeouts = {
        connect: capped(request.timeouts.connect, CAPS.connect),
        firstByte: capped(request.timeouts.firstByte, CAPS.firstByte),
        betweenBytes: capped(request.timeouts.betweenBytes, CAPS.betweenBytes),
      };
      const url = new URL(`${request.scheme}://${request.authority}`);
      const headers = { host: request.authority };
      for (const [name, value] of request.headers) headers[name] = value;
      if (request.body.length > 0 || request.method === 'POST' || request.method === 'PUT') {
        headers['content-length'] = String(request.body.length);
      }
      let settled = false;
      let timer;
      const finish = (outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const fail = (tag, why) => finish({ error: typeof tag === 'string' ? { tag } : tag, why });
      const arm = (ms, onExpiry) => {
        clearTimeout(timer);
        timer = setTimeout(onExpiry, ms);
      };

      const req = (request.scheme === 'https' ? https : http).request({
        agent: this.agentFor(request.endpoint, request.scheme),
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || (request.scheme === 'https' ? 443 : 80),
        servername: request.scheme === 'https' && !/^[\d.]+$|:/.test(url.hostname) ? url.hostname : undefined,
        method: request.method,
        path: request.path,
        headers,
        setHost: false,
      });
      req.on('socket', (socket) => {
        if (socket.connecting) {
          arm(timeouts.connect, () => {
            fail('connection-timeout', `no connection to ${request.endpoint} within ${timeouts.connect} ms`);
            req.destroy();
          });
          socket.once('connect', () => arm(timeouts.firstByte, firstByteExpired));
        } else {
          arm(timeouts.firstByte, firstByteExpired);
        }
      });
      const firstByteExpired = () => {
        fail('HTTP-response-timeout', `no reply from ${request.endpoint} within ${timeouts.firstByte} ms`);
        req.destroy();
      };
      req.on('error', (e) => {
        const [tag, why] = describe(e, request.endpoint);
        fail(tag, why);
      });
      req.on('response', (res) => {
        const chunks = [];
        let size = 0;
        const idle = () => {
          fail('connection-read-timeout', `the reply from ${request.endpoint} stalled for ${timeouts.betweenBytes} ms`);
          req.destroy();
        };
        arm(timeouts.betweenBytes, idle);
        res.on('data', (chunk) => {
          arm(timeouts.betweenBytes, idle);
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_BODY_BYTES) {
            // The component refuses it anyway; stop reading and drop the connection.
            const body = Buffer.concat(chunks, size).subarray(0, MAX_BODY_BYTES);
            finish({ status: res.statusCode, headers: pairs(res.rawHeaders), body });
            req.destroy();
          }
        });
        res.on('end', () => {
          const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
          finish({ status: res.statusCode, headers: pairs(res.rawHeaders), body: new Uint8Array(body.buffer, body.byteOffset, body.length) });
        });
        res.on('error', (e) => {
          const [tag, why] = describe(e, request.endpoint);
          fail(tag, why);
        });
      });
      req.end(request.body.length ? request.body : undefined);
    }
  }

  close() {
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}

/** A route this host cannot honour: the backend does not open. */
export class RouteError extends Error {}

const pairs = (raw) => {
  const out = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
};

/** A Node network error as a wasi:http `error-code`, and the cause in words. */
function describe(e, endpoint) {
  const code = e.code ?? '';
  const why = `${endpoint}: ${code ? `${code} ` : ''}${e.message}`.slice(0, 300);
  switch (code) {
    case 'ECONNREFUSED':
      return ['connection-refused', why];
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return ['connection-terminated', why];
    case 'ETIMEDOUT':
      return ['connection-timeout', why];
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return [{ tag: 'DNS-error', val: { rcode: code, infoCode: undefined } }, why];
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return ['destination-unavailable', why];
    default:
      if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) return ['TLS-certificate-error', why];
      if (/^ERR_SSL|^ERR_TLS/.test(code)) return ['TLS-protocol-error', why];
      if (e.message === 'socket hang up') return ['connection-terminated', why];
      return [{ tag: 'internal-error', val: code || 'network error' }, why];
  }
}
