// Returns as the API sets them up: the return policy, replaced whole. Every sku it names as
// non-returnable must be in the catalogue, so a typo does not silently leave an item returnable.
import { ValidationError } from '../domain/errors';
import type { ReturnPolicy } from '../domain/returns';
import type { Items } from '../store/catalog';
import type { ReturnSetup } from '../store/returns';

export interface ReturnServiceDeps {
  returns: Pick<ReturnSetup, 'policy' | 'replacePolicy'>;
  items: Pick<Items, 'missing'>;
}

export function createReturnService(deps: ReturnServiceDeps) {
  return {
    policy: () => deps.returns.policy(),
    async replacePolicy(policy: ReturnPolicy, actor: string) {
      const missing = new Set(await deps.items.missing([...new Set(policy.nonReturnableSkus)]));
      const problems = policy.nonReturnableSkus.flatMap((sku, i) =>
        missing.has(sku) ? [{ path: `nonReturnableSkus.${i}`, message: `unknown sku ${sku}` }] : [],
      );
      if (problems.length) throw new ValidationError(`Invalid return policy: ${problems.length} problem(s)`, problems);
      return deps.returns.replacePolicy(policy, actor);
    },
  };
}
