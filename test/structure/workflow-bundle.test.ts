import { readFileSync } from 'node:fs';
import { workflowBundlePath } from '../support/paths';

// What goes into the workflow bundle is held once per cached workflow: a library there costs memory per
// order in flight. zod in it (through the return workflow's refund rule) once cost about 3 MB per order and
// ran the worker's workflow thread out of heap in the full bench. Workflows import domain rules from
// zod-free modules, and schemas only as types.
test('the workflow bundle holds no zod', () => {
  const bundle = readFileSync(workflowBundlePath(), 'utf8');
  expect(bundle.length).toBeGreaterThan(10_000);
  expect(bundle.match(/node_modules\/zod\/[^\s'"]+/g)?.slice(0, 5) ?? []).toEqual([]);
});
