/**
 * An expression evaluator that runs JSONata on the calling thread, with no isolation: for
 * benchmarks that measure what the expression pool costs (B5 runs the same chain through both),
 * never for a service. A hostile expression evaluated here blocks the process (see
 * expression-pool.ts for why services must not).
 */
import { evaluateInThisThread } from '../expressions.ts';
import type { ExpressionEvaluator } from '../node-type.ts';

export const inThreadExpressions: ExpressionEvaluator = {
  evaluate: (source, data, options) => evaluateInThisThread(source, data, { bindings: options?.bindings }),
};
