/**
 * A run's or step's cost as the API reports it: dollars when every attempt's cost is known,
 * "unknown" when any is not (a model without a price, or an answer that reported no usage) —
 * never $0.00 for a cost nobody knows. The known part, a lower bound, is shown beside it.
 */
import { formatDollars } from './money.ts';

export interface ReportedCost {
  /** Null when any attempt's cost is unknown. */
  costMicros: number | null;
  knownCostMicros: number;
  unknownCostAttempts: number;
}

export function unknownCostNote(cost: ReportedCost): string {
  const n = cost.unknownCostAttempts;
  const attempts = `${n} provider ${n === 1 ? 'call' : 'calls'} of unknown cost (no price for the model, or no usage reported)`;
  return cost.knownCostMicros > 0
    ? `${attempts}; the priced calls cost ${formatDollars(cost.knownCostMicros)}`
    : attempts;
}

export function CostValue({ cost, testId }: { cost: ReportedCost; testId?: string | undefined }) {
  if (cost.costMicros !== null) return <span data-testid={testId}>{formatDollars(cost.costMicros)}</span>;
  return (
    <span data-testid={testId} data-cost-unknown="" title={unknownCostNote(cost)} className="text-amber-700">
      unknown
      {cost.knownCostMicros > 0 ? (
        <span className="ml-1 text-slate-500">(≥ {formatDollars(cost.knownCostMicros)})</span>
      ) : null}
    </span>
  );
}
