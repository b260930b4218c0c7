// The virtzone metadata element: building, strict parsing, escaping round trips.
import t from 'tap';
import fc from 'fast-check';
import { buildZoneMetadata, parseZoneMetadata, MetadataError, type ZoneMembership } from '../../core/host/metadata.js';
import { VIRTZONE_NS_URI } from '../../core/host/types.js';

t.test('builds the element for virDomainSetMetadata and for domain XML', async (t) => {
  t.equal(buildZoneMetadata({ class: 'gold' }), '<zone class="gold"/>');
  t.equal(
    buildZoneMetadata({ class: 'silver', tenant: 'acme', app: 'web', reservation: 'r-1' }),
    '<zone class="silver" tenant="acme" app="web" reservation="r-1"/>',
  );
  t.equal(
    buildZoneMetadata({ class: 'gold', tenant: 'a&b' }, { forDomainXml: true }),
    `<virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}" class="gold" tenant="a&amp;b"/>`,
  );
  t.equal(buildZoneMetadata({ class: 'gold', app: `<"'>\t\n` }), '<zone class="gold" app="&lt;&quot;&apos;&gt;&#9;&#10;"/>');
});

t.test('refuses to build what it could not parse back', async (t) => {
  t.throws(() => buildZoneMetadata({ class: 'Gold' }), MetadataError);
  t.throws(() => buildZoneMetadata({ class: '' }), MetadataError);
  t.throws(() => buildZoneMetadata({ class: 'gold', tenant: '' }), MetadataError);
  t.throws(() => buildZoneMetadata({ class: 'gold', tenant: 'x'.repeat(257) }), MetadataError);
  t.throws(() => buildZoneMetadata({ class: 'gold', app: 'bell\u0007' }), /character XML cannot carry/);
  t.throws(() => buildZoneMetadata({ class: 'gold', app: 'half\uD800' }), MetadataError);
});

t.test('parses the forms libvirt and virsh show', async (t) => {
  const expected: ZoneMembership = { class: 'gold', tenant: 't1' };
  t.same(parseZoneMetadata('<zone class="gold" tenant="t1"/>'), expected);
  t.same(parseZoneMetadata(`  <zone tenant='t1' class='gold' />\n`), expected);
  t.same(parseZoneMetadata('<zone class="gold" tenant="t1"></zone>'), expected);
  t.same(parseZoneMetadata(`<virtzone:zone xmlns:virtzone="${VIRTZONE_NS_URI}" class="gold" tenant="t1"/>`), expected);
  t.same(parseZoneMetadata(`<vz:zone xmlns:vz="${VIRTZONE_NS_URI}" class="gold" tenant="t1"></vz:zone>`), expected);
  t.same(parseZoneMetadata('<virtzone:zone class="gold" tenant="t1"/>'), expected);
  t.same(parseZoneMetadata('<zone class="gold" app="a &amp; b &#x263A; &#65;"/>'), { class: 'gold', app: 'a & b \u263A A' });
  t.same(parseZoneMetadata('<zone class="gold" app="two\nlines"/>'), { class: 'gold', app: 'two lines' }, 'XML attribute normalization');
});

const malformed: Array<[string, string, RegExp]> = [
  ['empty', '', /does not start with an element/],
  ['text', 'gold', /does not start with an element/],
  ['other element', '<zones class="gold"/>', /expected <zone>/],
  ['no class', '<zone tenant="a"/>', /missing class/],
  ['bad class', '<zone class="GOLD"/>', /not a class name/],
  ['unknown attribute', '<zone class="gold" owner="x"/>', /unknown attribute owner/],
  ['duplicate attribute', '<zone class="gold" class="silver"/>', /appears twice/],
  ['unquoted value', '<zone class=gold/>', /malformed/],
  ['no space between attributes', '<zone class="gold"tenant="a"/>', /malformed/],
  ['bare ampersand', '<zone class="gold" app="a & b"/>', /bare '&'/],
  ['unknown entity', '<zone class="gold" app="&nbsp;"/>', /unknown entity/],
  ['forbidden char ref', '<zone class="gold" app="&#1;"/>', /forbids/],
  ['surrogate char ref', '<zone class="gold" app="&#xD800;"/>', /invalid character reference/],
  ['lt in value', '<zone class="gold" app="a<b"/>', /contains '<'/],
  ['child element', '<zone class="gold"><x/></zone>', /must be empty/],
  ['text content', '<zone class="gold">hi</zone>', /must be empty/],
  ['wrong close tag', '<zone class="gold"></zonex>', /end tag that does not match the open element <zone>/],
  ['two elements', '<zone class="gold"/><zone class="silver"/>', /content after the root element/],
  ['unclosed', '<zone class="gold"', /malformed/],
  ['foreign namespace', '<x:zone xmlns:x="urn:other" class="gold"/>', /namespace is "urn:other"/],
  ['undeclared prefix', '<x:zone class="gold"/>', /undeclared namespace prefix/],
  ['empty tenant', '<zone class="gold" tenant=""/>', /tenant must be/],
];
for (const [what, xml, message] of malformed) {
  t.test(`rejects: ${what}`, async (t) => {
    t.throws(() => parseZoneMetadata(xml), { name: 'MetadataError', message });
  });
}

t.test('property: build then parse gives back the same membership', async (t) => {
  const value = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
  const membership = fc.record(
    {
      class: fc.stringMatching(/^[a-z][a-z0-9-]{0,31}$/),
      tenant: value,
      app: value,
      reservation: value,
    },
    { requiredKeys: ['class'] },
  );
  fc.assert(
    fc.property(membership, fc.boolean(), (m, forDomainXml) => {
      const parsed = parseZoneMetadata(buildZoneMetadata(m, { forDomainXml }));
      t.same(parsed, m);
      return JSON.stringify(parsed) === JSON.stringify(m);
    }),
    { numRuns: 300 },
  );
});

t.test('property: arbitrary text never throws anything but MetadataError', async (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string().map((s) => `<zone class="gold" ${s}/>`)), (s) => {
      try {
        parseZoneMetadata(s);
      } catch (err) {
        return err instanceof MetadataError;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass();
});
