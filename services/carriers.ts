// The carrier rules: per region or postal prefix, carrier services in priority order, and how to choose
// among their rates. Every carrier named must be an existing carrier connection.
import type { CarrierRule } from '../domain/carrier-rules';
import { isCarrierKind } from '../domain/connection';
import { ValidationError } from '../domain/errors';
import type { CarrierSetup } from '../store/carriers';
import type { Connections } from '../store/connections';

export interface CarrierServiceDeps {
  carriers: Pick<CarrierSetup, 'rules' | 'replaceRules'>;
  connections: Pick<Connections, 'list'>;
}

export function createCarrierService(deps: CarrierServiceDeps) {
  const { carriers, connections } = deps;
  return {
    rules: () => carriers.rules(),
    async replaceRules(rules: CarrierRule[], actor: string) {
      const kinds = new Map((await connections.list()).map((c) => [c.id, c.kind]));
      const problems = rules.flatMap((rule, i) =>
        rule.services.flatMap((ref, j) => {
          const path = `rules.${i}.services.${j}.carrier`;
          const kind = kinds.get(ref.carrier);
          if (kind === undefined) return [{ path, message: `no connection ${ref.carrier}: create it with POST /connections first` }];
          if (!isCarrierKind(kind)) return [{ path, message: `connection ${ref.carrier} is a ${kind} connection, not a carrier` }];
          return [];
        }),
      );
      if (problems.length) throw new ValidationError(`Invalid carrier rules: ${problems.length} problem(s)`, problems);
      return carriers.replaceRules(rules, actor);
    },
  };
}
