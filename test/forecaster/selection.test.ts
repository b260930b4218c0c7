// Selection: the better model wins, a noisy single week is shrunk towards the pooled
// evidence, and a non-baseline must win clearly.
import t from 'tap';
import { pooledPrior, selectAll, selectModel, type SelectionCandidate } from '../../forecaster/logic/selection.js';

const cands = (sn: number, lw: number, ets: number, lstm: number): SelectionCandidate[] => [
  { name: 'seasonal_naive', baseline: true, valLoss: sn },
  { name: 'last_window', baseline: true, valLoss: lw },
  { name: 'ets', baseline: true, valLoss: ets },
  { name: 'lstm', baseline: false, valLoss: lstm },
];
const noPrior = { pooledLogRatio: {} };

t.test('picks the model with the lower validation loss', async (t) => {
  t.equal(selectModel(cands(0.5, 0.3, 0.4, 0.2), noPrior, { nEff: 168 }).name, 'lstm');
  t.equal(selectModel(cands(0.5, 0.3, 0.25, 0.4), noPrior, { nEff: 168 }).name, 'ets');
  t.equal(selectModel(cands(0.2, 0.3, 0.4, 0.5), noPrior, { nEff: 168 }).name, 'seasonal_naive');
});

t.test('a non-baseline that wins by less than the margin gives way to the baseline', async (t) => {
  const s = selectModel(cands(0.5, 0.3, 0.4, 0.299), noPrior, { nEff: 168 });
  t.equal(s.name, 'last_window');
  t.equal(s.reason, 'baseline-margin');
  t.equal(selectModel(cands(0.5, 0.3, 0.4, 0.25), noPrior, { nEff: 168 }).name, 'lstm', 'a clear win stands');
});

t.test('with little evidence the pooled prior decides', async (t) => {
  // this series' week says the LSTM is 10% better, but across series it is 30% worse
  const prior = { pooledLogRatio: { seasonal_naive: 0.3, last_window: 0.2, ets: 0, lstm: Math.log(1.3) } };
  t.equal(selectModel(cands(0.5, 0.5, 0.5, 0.45), prior, { nEff: 6 }).name, 'ets', '24 h: ~6 independent peaks');
  t.equal(selectModel(cands(0.5, 0.5, 0.5, 0.2), prior, { nEff: 168 }).name, 'lstm', 'a strong, well-evidenced win still counts');
});

t.test('pooled prior and selecting all series at once', async (t) => {
  const perSeries = [cands(1, 1, 1, 0.5), cands(2, 2, 2, 1), cands(1, 1, 1, 2)];
  const prior = pooledPrior(perSeries);
  t.ok(Math.abs(prior.pooledLogRatio.lstm - (Math.log(0.5) * 2 + Math.log(2)) / 3) < 1e-12);
  t.equal(prior.pooledLogRatio.ets, 0);
  const sel = selectAll(perSeries, () => 168);
  t.same(sel.map((s) => s.name), ['lstm', 'lstm', 'seasonal_naive']);
});

t.test('no evidence: the best baseline, never a crash', async (t) => {
  const s = selectModel(cands(0, 0, 0, 0), noPrior, { nEff: 168 });
  t.equal(s.reason, 'no-evidence');
  t.equal(s.name, 'seasonal_naive');
  t.equal(selectModel(cands(NaN, 0.3, NaN, NaN), noPrior, { nEff: 6 }).name, 'last_window');
  t.throws(() => selectModel([{ name: 'lstm', baseline: false, valLoss: 1 }], noPrior, { nEff: 1 }), /no baseline/);
});

t.test('away from the baselines one tier at a time: combination before the model alone', async (t) => {
  const withCombo = (lstm: number, combo: number): SelectionCandidate[] => [
    ...cands(0.5, 0.5, 0.4, lstm),
    { name: 'ets+lstm', baseline: false, tier: 1, valLoss: combo },
  ];
  t.equal(selectModel(withCombo(0.3, 0.301), noPrior, { nEff: 168 }).name, 'ets+lstm', 'the LSTM alone is not clearly better than the combination');
  t.equal(selectModel(withCombo(0.2, 0.3), noPrior, { nEff: 168 }).name, 'lstm', 'a clear win over the combination moves on');
  t.equal(selectModel(withCombo(0.395, 0.395), noPrior, { nEff: 168 }).name, 'ets', 'neither beats the baseline clearly');
  t.equal(selectModel(withCombo(0.2, 0.399), noPrior, { nEff: 168 }).name, 'lstm', 'a tier may be skipped when the next one wins clearly');
});
