// The daemon's PredictionService over the forecaster (wired in a later step).
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { LoadPrediction } from '../model/types.js';
import type { PredictionService } from './predictions.js';

export function createPredictionService(_config: Config, _log: Logger): PredictionService {
  const none: LoadPrediction[] = [];
  return {
    all: () => none,
    of: () => [],
    modelAgeSeconds: () => null,
    train: async () => {
      throw new Error('training is not wired yet');
    },
    trainStatus: () => ({ state: 'idle' }),
    close: async () => undefined,
  };
}
