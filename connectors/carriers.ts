import { CARRIER_KINDS, isCarrierKind } from '../domain/connection';
import { ValidationError } from '../domain/errors';
import type { Connection } from '../store/connections';
import { buildConnector, type ConnectorDeps } from './registry';
import type { CarrierGateway } from './types';

// The gateway of a carrier connection (options and credentials validated by the registry). Any other
// kind is refused, so an activity can never buy a label through a sales channel's connection.
export function buildCarrierGateway(connection: Connection, deps: ConnectorDeps): CarrierGateway {
  if (!isCarrierKind(connection.kind)) {
    throw new ValidationError(`Connection ${connection.id} is not a carrier`, [
      { path: 'kind', message: `must be one of ${CARRIER_KINDS.join(', ')}` },
    ]);
  }
  const gateway = buildConnector(connection, deps).carrier;
  if (!gateway)
    throw new ValidationError(`Connection ${connection.id} (${connection.kind}) has no carrier capability`, [
      { path: 'kind', message: 'is not a carrier' },
    ]);
  return gateway;
}
