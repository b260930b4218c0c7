// The one escape for values written into XML. It serves attribute values (either
// quote) and character data alike: the five markup characters become their predefined
// entities, and tab, line feed and carriage return become character references so that
// attribute-value normalization (XML 1.0 §3.3.3) cannot turn them into spaces on the
// way back in. Characters XML 1.0 cannot carry at all, not even as references, are
// refused rather than written into a document no parser would accept.

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

// eslint-disable-next-line no-control-regex
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether every character of `value` can be written into an XML 1.0 document. */
export function xmlCanCarry(value: string): boolean {
  return !NOT_XML_CHAR.test(value);
}

export function escapeXml(value: string): string {
  const bad = NOT_XML_CHAR.exec(value);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    throw new RangeError(`U+${code} (at ${bad.index}) is a character XML cannot carry`);
  }
  return value.replace(/[&<>"'\t\n\r]/g, (c) => REPLACEMENTS[c]);
}
