import { ValidationError } from '../domain/errors';
import { problemsOf } from '../domain/validation';
import type { Connection } from '../store/connections';
import { createConnectorContext } from './context';
import { easypostConnector } from './easypost';
import { manualCarrierConnector } from './manual-carrier';
import type { ConnectorDeps } from './registry';
import type { CarrierGateway, ConnectorFactory } from './types';

// The connection kinds that are carriers. buildCarrierGateway refuses any other kind, so an activity
// handed a sales-channel connection id by mistake fails with a clear message instead of buying nothing.
export const CARRIER_FACTORIES: Record<string, ConnectorFactory<never, never>> = {
  easypost: easypostConnector as ConnectorFactory<never, never>,
  manual_carrier: manualCarrierConnector as ConnectorFactory<never, never>,
};

// The gateway of a carrier connection, its options and credentials validated first.
export function buildCarrierGateway(connection: Connection, deps: ConnectorDeps): CarrierGateway {
  const factory = CARRIER_FACTORIES[connection.kind] as ConnectorFactory<unknown, unknown> | undefined;
  if (!factory) {
    throw new ValidationError(`Connection ${connection.id} is not a carrier`, [{ path: 'kind', message: `must be one of ${Object.keys(CARRIER_FACTORIES).join(', ')}` }]);
  }
  const o = factory.optionsSchema.safeParse(connection.options);
  const c = factory.credentialsSchema.safeParse(connection.credentials ?? {});
  const problems = [
    ...(o.success ? [] : problemsOf(o.error).map((p) => ({ ...p, path: `options.${p.path}` }))),
    ...(c.success ? [] : problemsOf(c.error).map((p) => ({ ...p, path: `credentials.${p.path}` }))),
  ];
  if (problems.length) throw new ValidationError(`Invalid ${connection.kind} connection: ${problems.length} problem(s)`, problems);
  const ctx = createConnectorContext({ connectionId: connection.id, channel: connection.id, redis: deps.redis, log: deps.log });
  const gateway = factory.create(o.data, c.data, ctx).carrier;
  if (!gateway) throw new ValidationError(`Connection ${connection.id} (${connection.kind}) has no carrier capability`, [{ path: 'kind', message: 'is not a carrier' }]);
  return gateway;
}
