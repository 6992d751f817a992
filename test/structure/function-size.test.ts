import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';

// Functions stay small enough to read: the order workflow's phases under 120 lines each, the API's route
// modules under 60 (a route parses, calls a service and answers). Counted from the TypeScript syntax tree:
// every function, arrow function and method, from its first line to its last. Runs in the unit tier.

const root = path.resolve(__dirname, '../..');
const LIMITS: { folder: string; maxLines: number }[] = [
  { folder: 'workflows', maxLines: 120 },
  { folder: 'api/routes', maxLines: 60 },
];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return tsFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

function nameOf(node: ts.Node, source: ts.SourceFile): string {
  const named = node as ts.FunctionDeclaration | ts.MethodDeclaration;
  if (named.name) return named.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) return parent.name.getText(source);
  if (ts.isCallExpression(parent)) return `callback of ${parent.expression.getText(source).slice(0, 60)}`;
  return '(anonymous)';
}

/** Every function in the file longer than maxLines, as "file:line name (n lines)". */
export function longFunctions(file: string, maxLines: number): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > maxLines) found.push(`${path.relative(root, file)}:${first + 1} ${nameOf(node, source)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe.each(LIMITS)('functions in $folder/', ({ folder, maxLines }) => {
  test(`none is longer than ${maxLines} lines`, () => {
    const files = tsFiles(path.join(root, folder));
    expect(files.length).toBeGreaterThan(0);
    expect(files.flatMap((f) => longFunctions(f, maxLines))).toEqual([]);
  });
});

test('the count sees a long function (the check is live)', () => {
  const body = Array.from({ length: 70 }, (_, i) => `  const v${i} = ${i};`).join('\n');
  const file = path.join(tmpdir(), `long-function-${process.pid}.ts`);
  writeFileSync(file, `export const route = async () => {\n${body}\n};\n`);
  expect(longFunctions(file, 60)).toEqual([expect.stringMatching(/ route \(72 lines\)$/)]);
});

// Routes reach the stores only through a service: they hand `deps.stores` to a service factory and never
// call a store themselves.
test('no route module calls a store', () => {
  const offending = tsFiles(path.join(root, 'api/routes')).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) =>
        /deps\.stores\.\w+|\}\s*=\s*deps\.stores\b/.test(line) ? [`${path.relative(root, file)}:${i + 1} ${line.trim()}`] : [],
      ),
  );
  expect(offending).toEqual([]);
});
