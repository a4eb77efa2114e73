// The connection object every API of the package returns: the WIT record's fields as the CLI
// prints them (`conn_id`, `conn_type`, ..., `uri`), shared by the main thread's offline parsing
// and the worker's lookups.

/** `c` (the WIT `connection`) as a plain object; `uri` is its `connection-uri`. */
export function connectionObject(c, uri) {
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
    uri,
  };
}
