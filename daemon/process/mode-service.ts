// The mode routes' provider: the daemon's ModeControl, with each class's readiness read
// from the store (history spans) and the forecaster (the model serving the class), and
// what the auto-scaler would have done in observe mode.
import type { Config } from '../../core/config/schema.js';
import type { Store } from '../../core/store/store.js';
import type { PredictionService } from '../../forecaster/index.js';
import { classReadiness, modeReportOf, type Mode, type ModeControl, type ObservedTick } from '../../partitioner/index.js';
import type { ModeAnswer, ModeProvider } from '../../router/index.js';

export interface ModeServiceDeps {
  control: ModeControl;
  store: Store;
  predictions: PredictionService;
  config: () => Config;
  wouldDo: () => ObservedTick | null;
}

export function modeService(d: ModeServiceDeps): ModeProvider {
  const view = (changed?: boolean): ModeAnswer => {
    const config = d.config();
    const spans = d.store.seriesSpans('class:');
    const status = d.predictions.trainStatus() as { modelRunId?: number | null };
    const runId = typeof status.modelRunId === 'number' ? status.modelRunId : null;
    const { horizon } = config.partitioner;
    const classes = config.classes.map((c) => {
      const served = d.predictions.of(`class:${c.name}`).find((p) => p.horizon === horizon && p.resource === 'cpu');
      return classReadiness({ class: c.name, historySeconds: spans.get(`class:${c.name}`) ?? 0, model: served?.model ?? null, modelRunId: served ? runId : null }, config.partitioner.readyAfterDays);
    });
    return modeReportOf(d.control.view(), classes, d.wouldDo(), changed);
  };
  return {
    view: async () => view(),
    set: async (mode: Mode, by: string, reason: string | undefined) => view(d.control.setByAdmin(mode, by, reason)),
  };
}
