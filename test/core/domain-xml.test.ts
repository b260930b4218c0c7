// core/xml: strict parsing (no DOCTYPE, positions in errors), byte-preserving edits of
// libvirt domain XML, the virtzone metadata tag, sizes, and the one escape.
import t from 'tap';
import fc from 'fast-check';
import { resolve } from 'node:path';
import { openHost } from '../../core/host/libvirt-host.js';
import { VIRTZONE_NS_URI } from '../../core/host/types.js';
import { escapeXml } from '../../core/xml/escape.js';
import { parseXml, XmlError, type XmlElement } from '../../core/xml/parse.js';
import {
  DomainXmlError,
  parseDomainXml,
  readDomainIdentity,
  readDomainPartition,
  readDomainSize,
  readZoneMetadata,
  removeDomainUuid,
  setDomainName,
  setDomainPartition,
  setDomainUuid,
  setZoneMetadata,
} from '../../core/xml/domain-xml.js';

const URI = `test://${resolve('test/fixtures/host.xml')}`;

/** What libvirt itself writes for the fixture's domains, live and inactive. */
async function libvirtXml(): Promise<string[]> {
  const host = await openHost(URI, { events: false });
  try {
    const out: string[] = [];
    for (const d of await host.listDomains()) {
      out.push(await host.getXml(d.name), await host.getXml(d.name, { inactive: true }));
    }
    return out;
  } finally {
    await host.close();
  }
}

/** Whether `after` is `before` with at most [from, to) replaced: everything outside kept byte for byte. */
function keepsOutside(before: string, after: string, from: number, to: number): boolean {
  const head = before.slice(0, from);
  const tail = before.slice(to);
  return after.length >= head.length + tail.length && after.startsWith(head) && after.endsWith(tail);
}

/** The part of `before` that `after` changed: [from, to) in `before`, and what replaced it. */
function changedRegion(before: string, after: string): { from: number; to: number; inserted: string } {
  let from = 0;
  while (from < before.length && from < after.length && before[from] === after[from]) from++;
  let tail = 0;
  while (tail < before.length - from && tail < after.length - from && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  return { from, to: before.length - tail, inserted: after.slice(from, after.length - tail) };
}

t.test('a DOCTYPE is refused, with its position', async (t) => {
  const xml = '<?xml version="1.0"?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<domain><name>&x;</name></domain>';
  const err = t.throws(() => parseXml(xml), { name: 'XmlError', message: /DOCTYPE/ }) as unknown as XmlError;
  t.equal(err.line, 2);
  t.equal(err.column, 1);
  t.throws(() => parseDomainXml(xml), { name: 'DomainXmlError', message: /DOCTYPE.*line 2, column 1/ });
  t.throws(() => parseXml('<domain/>\n<!DOCTYPE domain>'), { name: 'XmlError', message: /DOCTYPE|markup declaration/ });
});

t.test('a billion-laughs entity expansion is refused before anything is expanded', async (t) => {
  let dtd = '<!ENTITY lol0 "lol">';
  for (let i = 1; i <= 9; i++) dtd += `\n  <!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  const xml = `<?xml version="1.0"?>\n<!DOCTYPE domain [\n  ${dtd}\n]>\n<domain><name>&lol9;</name></domain>`;
  const started = Date.now();
  t.throws(() => parseDomainXml(xml), { name: 'DomainXmlError', message: /DOCTYPE/ });
  t.ok(Date.now() - started < 1000, 'refused at once');
  // and without a DOCTYPE an entity is just unknown
  t.throws(() => parseDomainXml('<domain><name>&lol9;</name></domain>'), { name: 'DomainXmlError', message: /unknown entity reference.*line 1, column/ });
});

t.test('malformed input is refused with line and column', async (t) => {
  const cases: Array<[string, string, RegExp, number]> = [
    ['mismatched end tag', '<domain>\n  <name>a</nam>\n</domain>', /does not match the open element <name>/, 2],
    ['unclosed root', '<domain>\n  <name>a</name>\n', /element <domain> is not closed/, 3],
    ['duplicate attribute', '<domain type="kvm"\n  type="qemu"/>', /duplicate attribute type/, 2],
    ['"<" in an attribute', '<domain>\n\n <vcpu current="1<2">1</vcpu></domain>', /attribute value contains '<'/, 3],
    ['a control character', '<domain><name>a\u0001</name></domain>', /control character \(U\+0001\)/, 1],
    ['a second root', '<domain/>\n<domain/>', /content after the root element/, 2],
    ['an undeclared prefix', '<domain><metadata><vz:zone class="gold"/></metadata></domain>', /undeclared namespace prefix 'vz'/, 1],
    ['a processing instruction', '<domain>\n<?php echo 1 ?></domain>', /processing instruction/, 2],
    ['text before the root', 'hello<domain/>', /text outside the root element/, 1],
    ['empty', '', /no root element/, 1],
  ];
  for (const [what, xml, message, line] of cases) {
    const err = t.throws(() => parseXml(xml), { name: 'XmlError', message }, what) as unknown as XmlError;
    if (err instanceof XmlError) {
      t.equal(err.line, line, `${what}: line`);
      t.ok(err.column >= 0 && err.message.includes(`line ${line}, column ${err.column}`), `${what}: position in the message`);
    }
  }
  t.throws(() => parseDomainXml('<network><name>n</name></network>'), { name: 'DomainXmlError', message: /expected <domain>.*line 1, column 1/ });
  t.throws(() => readDomainIdentity('<domain>\n<name>a</name>\n<name>b</name></domain>'), { name: 'DomainXmlError', message: /2 <name> elements.*line 3, column 1/ });
});

t.test('the one escape', async (t) => {
  t.equal(escapeXml(`&<>"'`), '&amp;&lt;&gt;&quot;&apos;');
  t.equal(escapeXml('a\tb\nc\rd'), 'a&#9;b&#10;c&#13;d');
  t.equal(escapeXml('plain /machine/virtzone-gold ☺ 𝄞'), 'plain /machine/virtzone-gold ☺ 𝄞');
  t.throws(() => escapeXml('bell\u0007'), RangeError);
  t.throws(() => escapeXml('half\uD800'), RangeError);
  // it round-trips through the parser, in an attribute and in text
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }).filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s)), (s) => {
      const { root } = parseXml(`<a v="${escapeXml(s)}" w='${escapeXml(s)}'>${escapeXml(s)}</a>`);
      return root.attributes[0].value === s && root.attributes[1].value === s && root.text === s;
    }),
    { numRuns: 300 },
  );
});

t.test('edits of real libvirt domain XML keep everything else byte for byte', async (t) => {
  const docs = await libvirtXml();
  t.ok(docs.length >= 10, 'the fixture host has domains');
  for (const xml of docs) {
    const doc = parseDomainXml(xml);
    const name = readDomainIdentity(doc).name!;

    // partition: libvirt writes none for the default, so it is added as the last child
    const placed = setDomainPartition(doc, '/machine/virtzone-gold');
    t.equal(readDomainPartition(placed), '/machine/virtzone-gold', `${name}: partition set`);
    t.ok(keepsOutside(xml, placed, doc.root.contentEnd, doc.root.contentEnd), `${name}: only an insertion right before </domain>`);
    // replacing it changes only the partition's text
    const moved = setDomainPartition(placed, '/machine/virtzone-silver');
    const r = changedRegion(placed, moved);
    t.equal(placed.slice(r.from, r.to), 'gold', `${name}: only the old value replaced`);
    t.equal(r.inserted, 'silver');

    // metadata: replacing the element touches nothing around it
    const before = readZoneMetadata(doc)!;
    t.ok(before.class, `${name}: has a class`);
    const retagged = setZoneMetadata(doc, { ...before, class: 'bronze', owner: 'ops & co' });
    t.same(readZoneMetadata(retagged), { ...before, class: 'bronze', owner: 'ops & co' });
    const zone = doc.root.children.find((c) => c.name === 'metadata')!.children[0];
    t.ok(keepsOutside(xml, retagged, zone.start, zone.end), `${name}: only the zone element changed`);

    // name and uuid, as the pool does with a template
    const renamed = setDomainName(doc, 'pool-1');
    t.equal(readDomainIdentity(renamed).name, 'pool-1');
    t.equal(readDomainIdentity(renamed).uuid, readDomainIdentity(doc).uuid);
    const fresh = removeDomainUuid(renamed);
    t.equal(readDomainIdentity(fresh).uuid, null);
    t.equal(fresh.replace(/\n\s*<uuid>[^<]*<\/uuid>/, ''), fresh, 'uuid gone');
    t.equal(renamed.replace(/\n\s*<uuid>[^<]*<\/uuid>/, ''), fresh, 'only the uuid and its indentation removed');
  }
});

t.test('sizes, with units', async (t) => {
  const docs = await libvirtXml();
  const web = docs.find((x) => readDomainIdentity(x).name === 'gold-web-01')!;
  t.same(readDomainSize(web), { vcpus: 8, currentVcpus: 2, memoryKiB: 4194304, currentMemoryKiB: 2097152 });
  const size = (inner: string) => readDomainSize(`<domain>${inner}</domain>`);
  t.same(size('<vcpu>4</vcpu><memory unit="GiB">2</memory>'), { vcpus: 4, currentVcpus: null, memoryKiB: 2 * 1024 * 1024, currentMemoryKiB: null });
  t.equal(size('<memory unit="MB">1</memory>').memoryKiB, 1e6 / 1024);
  t.equal(size('<memory unit="bytes">2048</memory>').memoryKiB, 2);
  t.equal(size('<memory> 512 </memory>').memoryKiB, 512, 'KiB by default');
  t.same(size(''), { vcpus: null, currentVcpus: null, memoryKiB: null, currentMemoryKiB: null });
  t.throws(() => size('<memory unit="furlongs">1</memory>'), { name: 'DomainXmlError', message: /unknown memory unit "furlongs"/ });
  t.throws(() => size('<vcpu>two</vcpu>'), { name: 'DomainXmlError', message: /not a whole number/ });
});

t.test('metadata round trip keeps unknown attributes and the rest of the document', async (t) => {
  const xml = `<domain type='kvm'>
  <name>vm&amp;1</name>
  <metadata>
    <other:thing xmlns:other="urn:other"><![CDATA[keep <me>]]></other:thing>
    <vz:zone xmlns:vz="${VIRTZONE_NS_URI}" class="gold" owner='a "b"' note="x&#10;y" pool="true"></vz:zone>
  </metadata>
  <!-- a comment -->
</domain>
`;
  const attrs = readZoneMetadata(xml);
  t.same(attrs, { class: 'gold', owner: 'a "b"', note: 'x\ny', pool: 'true' });
  const rewritten = setZoneMetadata(xml, attrs!);
  t.same(readZoneMetadata(rewritten), attrs, 'read, write, read gives the same attributes');
  const zone = parseDomainXml(xml).root.children[1].children[1];
  t.equal(zone.name, 'vz:zone');
  t.ok(keepsOutside(xml, rewritten, zone.start, zone.end), 'only the zone element rewritten');
  t.match(rewritten, /<other:thing xmlns:other="urn:other"><!\[CDATA\[keep <me>\]\]><\/other:thing>/);
  t.match(rewritten, /<!-- a comment -->\n<\/domain>\n$/);
  // an element in another namespace called zone is not ours
  t.equal(readZoneMetadata('<domain><metadata><z:zone xmlns:z="urn:x" class="gold"/></metadata></domain>'), null);
  // added where missing: into <metadata>, into an empty <metadata/>, or a new <metadata>
  t.equal(
    setZoneMetadata('<domain><metadata/></domain>', { class: 'gold' }),
    `<domain><metadata><virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}" class="gold"/></metadata></domain>`,
  );
  t.equal(
    setZoneMetadata('<domain>\n  <name>a</name>\n</domain>', { class: 'gold' }),
    `<domain>\n  <name>a</name>\n<metadata><virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}" class="gold"/></metadata></domain>`,
  );
  t.throws(() => setZoneMetadata('<domain/>', { 'x:y': '1' }), RangeError);
  t.throws(() => setZoneMetadata('<domain/>', { xmlns: 'urn:evil' }), RangeError);
});

// A generator of small, varied domain documents: comments, whitespace, CDATA, foreign
// namespaces, quotes of both kinds, references, empty-element tags, and with or without
// the <resource>/<partition> and <metadata>/<zone> that the edits aim at.
const xmlText = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(s));
const space = fc.constantFrom('', '\n', '\n  ', ' ', '\r\n\t');
const comment = xmlText.filter((s) => !s.includes('--') && !s.endsWith('-')).map((s) => `<!--${s}-->`);
const quoted = (name: string) =>
  fc.tuple(xmlText, fc.boolean()).map(([v, single]) => (single ? ` ${name}='${escapeXml(v)}'` : ` ${name}="${escapeXml(v)}"`));
const foreign = fc.tuple(quoted('a'), xmlText, fc.boolean()).map(([attr, text, empty]) =>
  empty ? `<f:x xmlns:f="urn:f"${attr}/>` : `<f:x xmlns:f="urn:f"${attr}>${escapeXml(text)}<![CDATA[${text.replace(/]]>/g, '')}]]></f:x>`,
);
const plain = fc.tuple(fc.constantFrom('name', 'description', 'os', 'devices'), xmlText).map(([n, v]) => `<${n}>${escapeXml(v)}</${n}>`);
const resource = fc.oneof(
  fc.constant('<resource/>'),
  fc.constant('<resource></resource>'),
  fc.tuple(space, xmlText, space).map(([a, v, b]) => `<resource>${a}<partition>${escapeXml(v.trim())}</partition>${b}</resource>`),
  fc.tuple(foreign, xmlText).map(([f, v]) => `<resource>${f}<partition>${escapeXml(v.trim())}</partition></resource>`),
);
const metadata = fc.oneof(
  fc.constant('<metadata/>'),
  foreign.map((f) => `<metadata>${f}</metadata>`),
  fc.tuple(foreign, quoted('class'), quoted('tenant'), fc.constantFrom('virtzone', 'vz')).map(
    ([f, c, tn, p]) => `<metadata>${f}\n  <${p}:zone xmlns:${p}="${VIRTZONE_NS_URI}"${c}${tn}/>\n</metadata>`,
  ),
);
const domainDoc = fc
  .record({
    decl: fc.boolean(),
    lead: fc.array(fc.oneof(space, comment), { maxLength: 2 }),
    type: quoted('type'),
    children: fc.array(fc.oneof(space, comment, plain, foreign), { maxLength: 5 }),
    resource: fc.option(resource),
    metadata: fc.option(metadata),
    at: fc.nat(),
    empty: fc.boolean(),
  })
  .map((d) => {
    const kids = [...d.children];
    if (d.resource !== null) kids.splice(d.at % (kids.length + 1), 0, d.resource);
    if (d.metadata !== null) kids.splice((d.at >> 3) % (kids.length + 1), 0, d.metadata);
    const head = `${d.decl ? '<?xml version="1.0" encoding="UTF-8"?>' : ''}${d.lead.join('')}`;
    return kids.length === 0 && d.empty ? `${head}<domain${d.type}/>\n` : `${head}<domain${d.type}>${kids.join('')}</domain>\n`;
  });

/**
 * The span of the original an edit may touch: the element it replaces; else the '/>'
 * of the empty-element tag it opens; else the point it inserts at (first child of the
 * parent it goes into, or last child of <domain> when that parent is missing too).
 */
function editSpan(xml: string, parentName: string, isTarget: (e: XmlElement) => boolean, first: boolean): [number, number] {
  const root = parseDomainXml(xml).root;
  const parent = root.children.find((c) => c.name === parentName);
  const into = (e: XmlElement, atStart: boolean): [number, number] => {
    if (e.selfClosing) return [e.contentStart - 2, e.end];
    const at = atStart ? e.contentStart : e.contentEnd;
    return [at, at];
  };
  if (!parent) return into(root, false);
  const target = parent.children.find(isTarget);
  return target ? [target.start, target.end] : into(parent, first);
}

t.test('property: edits change only their element and keep the rest byte-identical', async (t) => {
  const value = xmlText.map((s) => s.trim());
  const attributes = fc.dictionary(fc.stringMatching(/^[a-wyz][a-zA-Z0-9]{0,8}$/), xmlText, { maxKeys: 4 });
  fc.assert(
    fc.property(domainDoc, value, attributes, (xml, partition, attrs) => {
      const doc = parseDomainXml(xml);

      const placed = setDomainPartition(doc, partition);
      if (readDomainPartition(placed) !== partition) return false;
      if (!keepsOutside(xml, placed, ...editSpan(xml, 'resource', (e) => e.name === 'partition', true))) return false;

      const tagged = setZoneMetadata(doc, attrs);
      if (JSON.stringify(readZoneMetadata(tagged)) !== JSON.stringify(attrs)) return false;
      if (!keepsOutside(xml, tagged, ...editSpan(xml, 'metadata', (e) => e.local === 'zone' && e.uri === VIRTZONE_NS_URI, true))) return false;

      // the edits compose, and each leaves the other's element as it found it
      const both = setZoneMetadata(placed, attrs);
      return readDomainPartition(both) === partition && JSON.stringify(readZoneMetadata(both)) === JSON.stringify(attrs);
    }),
    { numRuns: 500 },
  );
  t.pass();
});

t.test('property: arbitrary text never throws anything but XmlError', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string().map((s) => `<domain>${s}</domain>`), domainDoc.chain((d) => fc.nat(d.length).map((n) => d.slice(0, n)))), (s) => {
      try {
        parseDomainXml(s);
      } catch (err) {
        return err instanceof DomainXmlError;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});

t.test('setDomainUuid replaces the uuid, or adds it after <name>, by the parse (not by pattern)', async (t) => {
  const U = '0192f0aa-0000-4000-8000-000000000001';
  const decoy = `<domain type='kvm'><!-- <name>decoy</name> --><name>real</name><memory>1</memory></domain>`;
  const added = setDomainUuid(decoy, U);
  t.equal(added, `<domain type='kvm'><!-- <name>decoy</name> --><name>real</name><uuid>${U}</uuid><memory>1</memory></domain>`);
  t.same(readDomainIdentity(added), { name: 'real', uuid: U });
  const replaced = setDomainUuid(`<domain><name>a</name><uuid>11111111-2222-3333-4444-555555555555</uuid></domain>`, U);
  t.same(readDomainIdentity(replaced), { name: 'a', uuid: U });
  t.throws(() => setDomainUuid('<domain/>', U), DomainXmlError);
});
