import type { Redis } from 'ioredis';
import { ValidationError } from '../domain/errors';
import { problemsOf } from '../domain/validation';
import type { Connection } from '../store/connections';
import type { Logger } from '../domain/logger';
import { createConnectorContext } from './context';
import type { Connector, ConnectorFactory } from './types';
import { amazonConnector } from './amazon';
import { erpConnector } from './erp';
import { shopifyConnector } from './shopify';
import { easypostConnector } from './easypost';
import { manualCarrierConnector } from './manual-carrier';
import { supplierHttpConnector } from './supplier-http';

// kind -> factory. Adding a connector is one folder and one line here.
export const CONNECTOR_FACTORIES: Record<string, ConnectorFactory<never, never>> = {
  shopify: shopifyConnector as ConnectorFactory<never, never>,
  amazon: amazonConnector as ConnectorFactory<never, never>,
  erp: erpConnector as ConnectorFactory<never, never>,
  easypost: easypostConnector as ConnectorFactory<never, never>,
  manual_carrier: manualCarrierConnector as ConnectorFactory<never, never>,
  supplier_http: supplierHttpConnector as ConnectorFactory<never, never>,
};

export function factoryFor(kind: string): ConnectorFactory<unknown, unknown> {
  const factory = CONNECTOR_FACTORIES[kind] as ConnectorFactory<unknown, unknown> | undefined;
  if (!factory)
    throw new ValidationError(`Unknown connection kind ${kind}`, [
      { path: 'kind', message: `must be one of ${Object.keys(CONNECTOR_FACTORIES).join(', ')}` },
    ]);
  return factory;
}

// Options and credentials are checked when a connection is created or changed, not on first use.
export function validateConnectionSettings(
  kind: string,
  options: unknown,
  credentials: unknown | undefined,
): { options: unknown; credentials?: unknown } {
  const factory = factoryFor(kind);
  const o = factory.optionsSchema.safeParse(options);
  const c = credentials === undefined ? undefined : factory.credentialsSchema.safeParse(credentials);
  const problems = [
    ...(o.success ? [] : problemsOf(o.error).map((p) => ({ ...p, path: `options.${p.path}` }))),
    ...(c && !c.success ? problemsOf(c.error).map((p) => ({ ...p, path: `credentials.${p.path}` })) : []),
  ];
  if (problems.length) throw new ValidationError(`Invalid ${kind} connection: ${problems.length} problem(s)`, problems);
  return { options: o.data, ...(c?.success && { credentials: c.data }) };
}

export interface ConnectorDeps {
  redis: Redis;
  log: Logger;
}

export function buildConnector(connection: Connection, deps: ConnectorDeps): Connector {
  const factory = factoryFor(connection.kind);
  const { options, credentials } = validateConnectionSettings(connection.kind, connection.options, connection.credentials);
  const ctx = createConnectorContext({
    connectionId: connection.id,
    channel: connection.id,
    kind: connection.kind,
    redis: deps.redis,
    log: deps.log,
  });
  return factory.create(options, credentials, ctx);
}
