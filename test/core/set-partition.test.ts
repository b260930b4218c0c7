// The careful edit of untrusted domain XML.
import t from 'tap';
import { readDomainIdentity, setDomainPartition as withPartition } from '../../core/xml/domain-xml.js';

/** The edited document, and the identity read from it. */
const setDomainPartition = (xml: string, partition: string) => ({ xml: withPartition(xml, partition), facts: readDomainIdentity(xml) });

const P = '/machine/virtzone-gold';

t.test('sets the partition, keeping the rest byte for byte', async (t) => {
  const base = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- made by hand -->\n<domain type='kvm' xmlns:foo="urn:foo">\n  <name>web&amp;1</name>\n  <uuid>AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE</uuid>\n  <description><![CDATA[<not markup>]]></description>\n  <foo:bar a="1 &lt; 2"/>\n`;
  const none = setDomainPartition(base + '</domain>', P);
  t.equal(none.xml, base + `<resource><partition>${P}</partition></resource></domain>`);
  t.same(none.facts, { name: 'web&1', uuid: 'AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE' });
  t.equal(setDomainPartition(base + '<resource/></domain>', P).xml, base + `<resource><partition>${P}</partition></resource></domain>`);
  t.equal(
    setDomainPartition(base + '<resource>\n <partition>/machine/evil</partition>\n</resource></domain>', P).xml,
    base + `<resource>\n <partition>${P}</partition>\n</resource></domain>`,
  );
  t.equal(
    setDomainPartition(base + '<resource><fibrechannel appid="x"/></resource></domain>', P).xml,
    base + `<resource><partition>${P}</partition><fibrechannel appid="x"/></resource></domain>`,
  );
  // a <partition> elsewhere (not under domain/resource) is not ours to touch
  const nested = base + '<devices><partition>keep</partition></devices></domain>';
  t.match(setDomainPartition(nested, P).xml, /<devices><partition>keep<\/partition><\/devices><resource><partition>\/machine\/virtzone-gold/);
  t.equal(setDomainPartition('<domain/>', P).xml, `<domain><resource><partition>${P}</partition></resource></domain>`);
});

const rejects: [string, string, RegExp][] = [
  ['DOCTYPE with an external entity (XXE)', '<!DOCTYPE domain [<!ENTITY x SYSTEM "file:///etc/passwd">]><domain><name>&x;</name></domain>', /DOCTYPE/],
  ['an entity reference', '<domain><name>&x;</name></domain>', /entit/],
  ['a second root', '<domain><name>a</name></domain><domain/>', /after the root/],
  ['a foreign root', '<network><name>n</name></network>', /expected <domain>/],
  ['unclosed element', '<domain><name>a</name>', /not closed/],
  ['mismatched end tag', '<domain><name>a</nam></domain>', /does not match/],
  ['a processing instruction', '<domain><?php echo 1 ?><name>a</name></domain>', /processing instruction/],
  ['text before the root', 'hello<domain/>', /root element/],
  ['duplicate attribute', '<domain type="kvm" type="qemu"/>', /duplicate attribute/],
  ['unquoted attribute', '<domain type=kvm/>', /not quoted/],
  ['"<" in an attribute', '<domain type="a<b"/>', /inside an attribute/],
  ['a control character', '<domain><name>a\u0001</name></domain>', /control character/],
  ['a bad character reference', '<domain><name>&#0;</name></domain>', /character reference/],
  ['two <name>s', '<domain><name>a</name><name>b</name></domain>', /2 <name>/],
  ['markup in <name>', '<domain><name><b>a</b></name></domain>', /text only/],
  ['two <resource>s', '<domain><resource/><resource/></domain>', /2 <resource>/],
  ['empty', '', /root element/],
  ['"--" in a comment', '<domain><!-- a -- b --></domain>', /"--"/],
];

t.test('rejects what is not a single, plain <domain> document', async (t) => {
  for (const [what, xml, why] of rejects) {
    t.throws(() => setDomainPartition(xml, P), { name: 'DomainXmlError', message: why }, what);
  }
  t.throws(() => setDomainPartition('<domain><resource><partition>a</partition><partition>b</partition></resource></domain>', P), /2 <partition>/);
});
