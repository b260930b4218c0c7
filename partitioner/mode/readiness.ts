// Whether each class has the evidence that makes enforce sensible: enough of its own
// history (partitioner.readyAfterDays) and a trained model covering it (its forecasts
// come from a training run, whose model selection was judged on a validation window
// against the baselines). Advisory: enforcing stays the operator's call, and without
// evidence the partitioner still never shrinks a VM (plan/evidence.ts). Pure.

export interface ClassEvidence {
  class: string;
  /** seconds between the class's first and latest 5-minute rollup; 0 without any */
  historySeconds: number;
  /** the model serving the class's forecast, null when no trained model covers it */
  model: string | null;
  /** the training run whose model is in use, null before the first good run */
  modelRunId: number | null;
}

export interface ClassReadiness {
  class: string;
  historyDays: number;
  neededDays: number;
  model: string | null;
  modelRunId: number | null;
  /** what is still missing, as an operator reads it; empty when ready */
  missing: string[];
  ready: boolean;
}

const DAY = 86_400;

export function classReadiness(e: ClassEvidence, readyAfterDays: number): ClassReadiness {
  const historyDays = Math.max(0, e.historySeconds) / DAY;
  const missing: string[] = [];
  if (historyDays < readyAfterDays) missing.push(`history: ${daysOf(historyDays)} of ${daysOf(readyAfterDays)} days`);
  if (e.model === null || e.modelRunId === null) missing.push('model: no trained model covers it yet (virtzone train, or the nightly run)');
  return {
    class: e.class,
    historyDays: Math.floor(historyDays * 100) / 100,
    neededDays: readyAfterDays,
    model: e.model,
    modelRunId: e.modelRunId,
    missing,
    ready: missing.length === 0,
  };
}

/** 0, 0.4, 2.5, 7: days as an operator reads them (rounded down: never overstated). */
function daysOf(d: number): string {
  return String(d >= 10 || Number.isInteger(d) ? Math.floor(d) : Math.floor(d * 10) / 10);
}
