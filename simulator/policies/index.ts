// The simulated policies by name.
import type { PolicyName } from '../scenario.js';
import { oraclePolicy } from './oracle.js';
import type { PolicySetup, ZonePolicy } from './policy.js';
import { predictivePolicy } from './predictive.js';
import { ratioPolicy } from './ratio.js';
import { reactivePolicy } from './reactive.js';
import { staticPolicy } from './static.js';

export { ratioAdmits, ratioLimits } from './ratio.js';
export { configFor, type PolicyContext, type PolicySetup, type ZonePolicy } from './policy.js';

const POLICY_BUILDERS: Record<PolicyName, (setup: PolicySetup) => ZonePolicy> = {
  static: staticPolicy,
  reactive: reactivePolicy,
  predictive: predictivePolicy,
  oracle: oraclePolicy,
  ratio: ratioPolicy,
};

export function policyFor(name: PolicyName, setup: PolicySetup): ZonePolicy {
  return POLICY_BUILDERS[name](setup);
}
