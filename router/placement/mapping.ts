// Which zone a placement request goes to: explicit priority, else the first matching
// tenant/app rule from config, else the general zone. Pure.
import { GENERAL_ZONE_NAME } from '../../core/model/types.js';

export interface MappingRule {
  tenant?: string;
  app?: string;
  class: string;
}

export interface MappingRequest {
  tenant: string;
  app: string;
  priority?: string;
}

export type MappingResult =
  | { ok: true; zone: string; via: 'priority' | 'rule' | 'default'; rule?: number }
  | { ok: false; field: 'priority'; detail: string };

/** A rule matches when every key it names matches (a rule names at least one). */
function matches(rule: MappingRule, req: MappingRequest): boolean {
  if (rule.tenant === undefined && rule.app === undefined) return false;
  return (rule.tenant === undefined || rule.tenant === req.tenant) && (rule.app === undefined || rule.app === req.app);
}

export function mapToZone(req: MappingRequest, classes: readonly string[], rules: readonly MappingRule[]): MappingResult {
  if (req.priority !== undefined) {
    if (req.priority === GENERAL_ZONE_NAME || classes.includes(req.priority)) {
      return { ok: true, zone: req.priority, via: 'priority' };
    }
    return {
      ok: false,
      field: 'priority',
      detail: `unknown priority ${JSON.stringify(req.priority)}: expected one of ${[...classes, GENERAL_ZONE_NAME].join(', ')}`,
    };
  }
  for (let i = 0; i < rules.length; i++) {
    if (matches(rules[i], req)) return { ok: true, zone: rules[i].class, via: 'rule', rule: i };
  }
  return { ok: true, zone: GENERAL_ZONE_NAME, via: 'default' };
}
