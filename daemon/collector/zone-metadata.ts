// Reads a VM's membership (class, tenant, app) from the virtzone metadata element that
// HostAdapter.getMetadata returns, e.g. <virtzone:zone class="gold" tenant="acme"/> or,
// as libvirt hands it back, <zone xmlns="https://virtzone.dev/xmlns/virtzone/1" class="gold"/>.
// Only attributes of the root element are read, so a small scanner is enough.

export interface VmMembership {
  class: string | null;
  tenant: string | null;
  app: string | null;
}

export const NO_MEMBERSHIP: VmMembership = Object.freeze({ class: null, tenant: null, app: null });

const ROOT_RE = /<\s*(?:[A-Za-z_][\w.-]*:)?zone\b([^>]*)>/;
const ATTR_RE = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

function unescapeXml(s: string): string {
  return s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Membership from the metadata XML; all null when there is none or no zone element. */
export function membershipFromMetadata(xml: string | null | undefined): VmMembership {
  if (!xml) return NO_MEMBERSHIP;
  const root = ROOT_RE.exec(xml);
  if (!root) return NO_MEMBERSHIP;
  const attrs = new Map<string, string>();
  for (const m of root[1].matchAll(ATTR_RE)) attrs.set(m[1], unescapeXml(m[2] ?? m[3] ?? ''));
  const get = (k: string): string | null => {
    const v = attrs.get(k)?.trim();
    return v ? v : null;
  };
  return { class: get('class'), tenant: get('tenant'), app: get('app') };
}
