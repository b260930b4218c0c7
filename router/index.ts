// The router's public surface: what the daemon, the simulator and other components use.
// Everything else under router/ is internal to it.

// the placement decision (pure) and what it reads
export {
  admissionZones,
  decidePlacement,
  expectedGrowth,
  freeRoom,
  placementConfigOf,
  rankOf,
  retryAfterSeconds,
  type AppReservations,
  type ChargedTotals,
  type ForecastPoint,
  type PlacementAsk,
  type PlacementConfig,
  type PlacementDecision,
  type PlacementState,
} from './placement/decide.js';
export type { AdmissionMode, ZoneCapacity } from './placement/admission.js';
export { mapToZone, type MappingResult, type MappingRule } from './placement/mapping.js';
export {
  overflowPolicy,
  priorityWeight,
  probabilisticPolicy,
  quotaPolicy,
  type OverflowDecision,
  type OverflowPolicy,
  type OverflowSettings,
  type Resources,
} from './overflow/policy.js';
export { mulberry32, randomlySeededRng, type Rng } from './overflow/rng.js';

// app profiles: what earlier VMs of an app used
export { addSample, appKey, appProfileOf, emptyHistogram, type AppProfile, type AppProfiles, type UseRatio } from './placement/app-profile.js';
export { AppProfileCache, type AppUseSource } from './placement/app-profile-cache.js';

// the HTTP API the daemon serves
export { buildServer, listenApi, type ApiListeners, type VirtzoneServer } from './server.js';
export type { ModeAnswer, ModeProvider, RouterDeps } from './deps.js';
export { ProblemError } from './problem.js';
export { AccessControl, loadCredentials, type Caller } from './access/access.js';
export { TokenFileError, tokenSha256 } from './access/tokens-file.js';
export { PeerRuleError } from './access/peers.js';
export { loadTemplates, type TemplateCatalog } from './provisioning/templates.js';
