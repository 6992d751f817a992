import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

// The top-level folders import in one direction (STYLE: api, worker → services → domain, store,
// connectors). Type-only imports count too, with one exception: workflows name their activities' types
// (proxyActivities<OrderActivities>), Temporal's own pattern, and a type-only import keeps the activities'
// code out of the workflow bundle. A value import from workflows into activities is a cycle like any other.
// Runs in the unit tier.

const root = path.resolve(__dirname, '../..');
const FOLDERS = ['api', 'worker', 'activities', 'services', 'workflows', 'connectors', 'documents', 'store', 'domain'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'node_modules' ? [] : tsFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** Folder → folders it imports from, each with one file that does it. */
export function folderImports(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>(FOLDERS.map((f) => [f, new Map()]));
  const specifier = /(?:^|\n)\s*(?:import|export)\s([^'"]*?)from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  for (const folder of FOLDERS) {
    for (const file of tsFiles(path.join(root, folder))) {
      for (const m of readFileSync(file, 'utf8').matchAll(specifier)) {
        const target = path.relative(root, path.resolve(path.dirname(file), m[2] ?? m[3])).split(path.sep)[0];
        const typeOnly = /^type\s/.test(m[1] ?? '');
        if (folder === 'workflows' && target === 'activities' && typeOnly) continue;
        if (target !== folder && FOLDERS.includes(target) && !graph.get(folder)!.has(target))
          graph.get(folder)!.set(target, path.relative(root, file));
      }
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node)!.keys()) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

test('no import cycle between the top-level folders', () => {
  const graph = folderImports();
  const cycle = findCycle(graph);
  const explain = cycle?.slice(1).map((to, i) => `${cycle[i]} → ${to} (${graph.get(cycle[i])!.get(to)})`);
  expect(explain).toBeUndefined();
});

test('the check sees imports, and would see a cycle', () => {
  const graph = folderImports();
  expect([...graph.get('api')!.keys()]).toEqual(expect.arrayContaining(['domain', 'store']));
  expect([...graph.get('domain')!.keys()]).toEqual([]);
  graph.get('domain')!.set('api', 'domain/example.ts');
  expect(findCycle(graph)).toEqual(expect.arrayContaining(['api', 'domain']));
});
