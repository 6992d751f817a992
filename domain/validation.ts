import type { z } from 'zod';
import { ValidationError, type FieldProblem } from './errors';

// `root` names the input itself when it is the bad value: the body, or a URL parameter such as "sku".
export function problemsOf(error: z.ZodError, root = '(body)'): FieldProblem[] {
  return error.issues.flatMap((issue) => {
    const base = issue.path.map(String).join('.');
    // Unknown keys are reported one per key so each bad field is named.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: base ? `${base}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ path: base || root, message: issue.message }];
  });
}

// Parse or throw a ValidationError naming every bad field with its path.
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string, root?: string): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const problems = problemsOf(result.error, root);
    throw new ValidationError(`Invalid ${what}: ${problems.length} problem(s)`, problems);
  }
  return result.data;
}
