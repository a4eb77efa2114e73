// The public API of airflow-ssm-secrets. The WIT's own types (grants, routes, the error
// variant, connection semantics) are jco's, generated from wit/ssm-secrets.wit at build time
// into generated/interfaces/; this file types the JavaScript API around them.

import type {
  AwsError,
  ConnectionSemantics,
  Error as ComponentError,
  Grants,
  Route,
} from './generated/interfaces/airflow-ssm-secrets-types.js';

export type { AwsError, ComponentError, ConnectionSemantics, Grants, Route };

/** Airflow's `backend_kwargs`: an object (or its JSON text), as in `[secrets] backend_kwargs`. */
export type BackendKwargs = string | {
  connections_prefix?: string | null;
  variables_prefix?: string | null;
  config_prefix?: string | null;
  connections_lookup_pattern?: string | null;
  variables_lookup_pattern?: string | null;
  config_lookup_pattern?: string | null;
  region_name?: string | null;
  endpoint_url?: string | null;
  profile_name?: string | null;
  role_arn?: string | null;
  aws_access_key_id?: string | null;
  aws_secret_access_key?: string | null;
  aws_session_token?: string | null;
  verify?: boolean | string | null;
  session_kwargs?: Record<string, unknown>;
  config_kwargs?: Record<string, unknown>;
  cache_ttl_seconds?: number | null;
  [key: string]: unknown;
};

/** The kind of a failure: the WIT `error` variant's case. */
export type ErrorKind = ComponentError['tag'];

/** A failed lookup (or a configuration the component refuses). Never holds a secret. */
export declare class SsmSecretsError extends Error {
  constructor(error: ComponentError);
  readonly name: 'SsmSecretsError';
  /** `configuration`, `credentials`, `access-denied`, `throttled`, `service`, `transport`, `invalid-value`. */
  readonly kind: ErrorKind;
  /** AWS's error code (`AccessDeniedException`, ...) for `access-denied`, `throttled`, `service`. */
  readonly code: string | undefined;
  /** The HTTP status of AWS's reply, for the same kinds. */
  readonly status: number | undefined;
}

/** An Airflow connection as the CLI prints it; `null` where Airflow has `None`. */
export interface Connection {
  conn_id: string | null;
  conn_type: string | null;
  description: string | null;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  /** The extras as the JSON text Airflow stores. */
  extra: string | null;
  /** Airflow's `get_uri()` of the connection, in the backend's connection semantics. */
  uri: string;
}

export interface OpenOptions {
  /** Whose AWS_* variables the component sees: `process.env` by default. Only AWS_* ones. */
  env?: Record<string, string | undefined>;
  /** Whose connection parsing to reproduce: `core` (default), `task-sdk` or `airflow2`. */
  connectionSemantics?: ConnectionSemantics;
  /**
   * Narrows the endpoints (`scheme://host:port`) the backend may reach: by default all of its
   * plan's; an endpoint outside the plan stays refused whatever this says.
   */
  allow?: string[];
}

/**
 * One backend: its own component instance on its own worker thread. Every lookup is a Promise;
 * not found is `null`; failures reject with `SsmSecretsError`. Lookups made while another is
 * running are sent together (batched in `GetParameters` of up to 10 names), each with its own
 * result. An idle backend never keeps the process alive; `close()` ends it.
 */
export interface SsmBackend {
  /** What this backend is granted: its endpoints, readable files and routes (`plan-grants`). */
  readonly grants: Grants;
  /** The raw value of `<connections_prefix>/<connId>` (team first when given), or `null`. */
  getConnValue(connId: string, team?: string): Promise<string | null>;
  /** The connection parsed as Airflow parses it, or `null`. */
  getConnection(connId: string, team?: string): Promise<Connection | null>;
  getVariable(key: string, team?: string): Promise<string | null>;
  getConfig(key: string): Promise<string | null>;
  /** Several lookups in one call, in order; rejects with the first failure. */
  getConnValues(connIds: string[], team?: string): Promise<Array<string | null>>;
  getConnections(connIds: string[], team?: string): Promise<Array<Connection | null>>;
  getVariables(keys: string[], team?: string): Promise<Array<string | null>>;
  getConfigs(keys: string[]): Promise<Array<string | null>>;
  /** Raw values by full SSM parameter names (no prefix, pattern or team). */
  getParameters(names: string[]): Promise<Array<string | null>>;
  /** Forgets every cached value (`cache_ttl_seconds`). */
  clearCache(): Promise<void>;
  /** Chooses whose parsing `getConnection(s)` reproduce from now on. */
  setConnectionSemantics(semantics: ConnectionSemantics): Promise<void>;
  /** Ends the worker and closes kept-alive connections; later calls reject. Also `Symbol.asyncDispose`. */
  close(): Promise<void>;
}

/** Opens a backend; rejects with `SsmSecretsError` (`configuration`, ...) when the kwargs are unusable. */
export declare function openBackend(kwargs?: BackendKwargs, options?: OpenOptions): Promise<SsmBackend>;

/** Parses a connection value exactly as Airflow does (URI or JSON), offline. Throws `SsmSecretsError`. */
export declare function parseConnection(connId: string, value: string, semantics?: ConnectionSemantics): Connection;

/** A connection's URI as the chosen class's `get_uri()` gives it, offline. */
export declare function connectionUri(connection: Omit<Connection, 'uri'> & { uri?: string }, semantics?: ConnectionSemantics): string;

/** What `kwargs` needs from its host with `env`'s AWS_* variables, offline (reads the shared AWS files). */
export declare function plannedGrants(kwargs?: BackendKwargs, env?: Record<string, string | undefined>): Grants;
