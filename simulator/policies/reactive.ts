// reactive: no zones — the whole host is one pool, and every request goes to the
// probabilistic overflow manager (the mechanism the product improves on), with free =
// capacity − measured use, total = capacity, the request's class as priority, and no
// forecast. Nothing is ever re-sized.
import { probabilisticPolicy } from '../../router/index.js';
import { placeOnHost } from '../placement.js';
import { streamRng } from '../random.js';
import type { PolicySetup, ZonePolicy } from './policy.js';

export function reactivePolicy(setup: PolicySetup): ZonePolicy {
  const { config, classes } = setup;
  // the probabilistic mechanism by definition, whatever overflow.policy says
  const overflow = probabilisticPolicy({ threshold: config.overflow.threshold, exponent: config.overflow.exponent }, streamRng(setup.scenario.seed, 'overflow'));
  return {
    name: 'reactive',
    zoned: false,
    autoscales: false,
    start: () => {},
    membersChanged: () => {},
    beforeStep: () => {},
    decide: ({ host }, spec) => placeOnHost(host, classes, spec, overflow),
  };
}
