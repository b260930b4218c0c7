// Strict XML parsing with source offsets, over saxes (a maintained, conformant,
// non-validating parser). On top of its well-formedness and namespace checks this
// refuses every DOCTYPE (so no entity of any kind, internal or external, can be declared
// or expanded) and every processing instruction other than the XML declaration.
//
// Every element comes back with the offsets of its tags in the source string, so edits
// can splice the original text and leave everything else byte for byte as it was.
import { SaxesParser, type SaxesTagNS } from 'saxes';

/** A document that is not well-formed, or not the document the caller expects; with where. */
export class XmlError extends Error {
  override name = 'XmlError';
  constructor(
    message: string,
    /** 1-based line of the problem */
    readonly line: number,
    /** 1-based column (in characters) of the problem */
    readonly column: number,
    /** offset (UTF-16 index) into the source */
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface XmlAttribute {
  /** the name as written, e.g. "xmlns:virtzone" or "class" */
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** namespace URI; '' for an unprefixed attribute */
  readonly uri: string;
  /** the value with references decoded and attribute-value normalization applied */
  readonly value: string;
}

export interface XmlElement {
  /** the name as written, e.g. "virtzone:zone" */
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** namespace URI; '' when in no namespace */
  readonly uri: string;
  /** in document order */
  readonly attributes: readonly XmlAttribute[];
  readonly parent: XmlElement | null;
  readonly children: XmlElement[];
  /** character data directly inside this element (text and CDATA, references decoded) */
  text: string;
  /** offset of the start tag's '<' */
  readonly start: number;
  /** offset just past the start tag (its '>' or '/>') */
  readonly contentStart: number;
  /** offset of the end tag's '<'; equal to contentStart for an empty-element tag */
  contentEnd: number;
  /** offset just past the element */
  end: number;
  readonly selfClosing: boolean;
}

export interface XmlDocument {
  readonly source: string;
  readonly root: XmlElement;
}

export interface ParseOptions {
  /** prefixes bound before parsing, for a fragment that relies on its context's declarations */
  namespaces?: Record<string, string>;
}

/** 1-based line and column (in characters) of a source offset. */
function lineColumnAt(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const lines = before.split(/\r\n|\r|\n/);
  return { line: lines.length, column: [...lines[lines.length - 1]].length + 1 };
}

/** An XmlError pointing at `offset` of `source`. */
export function xmlErrorAt(source: string, offset: number, what: string): XmlError {
  const { line, column } = lineColumnAt(source, offset);
  return new XmlError(`${what} (line ${line}, column ${column})`, line, column, offset);
}

const codePoint = (c: number) => `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;

/** saxes' terse messages, said in terms of what the writer of the document did. */
function describe(raw: string, source: string, offset: number, openElement: string | null): string {
  const message = raw.replace(/^\d+:\d+: /, '').replace(/\.$/, '');
  const rule: Array<[RegExp, (m: RegExpExecArray) => string]> = [
    [/^undefined entity$/, () => 'an unknown entity reference (entities are not allowed; only &lt; &gt; &amp; &quot; &apos; and character references are)'],
    [/^disallowed character in entity name$/, () => "a bare '&' (an '&' must start &lt; &gt; &amp; &quot; &apos; or a character reference)"],
    [/^empty entity name$/, () => "an empty reference '&;'"],
    [/^malformed character entity$/, () => 'an invalid character reference (malformed, or to a character XML forbids)'],
    [/^documents may contain only one root$/, () => 'content after the root element (a second root element)'],
    [/^text data outside of root node$/, () => 'text outside the root element'],
    [/^unclosed tag: (.*)$/, (m) => `element <${m[1]}> is not closed`],
    [/^unexpected close tag$/, () => `an end tag that does not match the open element${openElement ? ` <${openElement}>` : ''}`],
    [/^unmatched closing tag: (.*)$/, (m) => `an end tag </${m[1]}> with no open element`],
    [/^duplicate attribute: (.*)$/, (m) => `a duplicate attribute ${m[1]} (it appears twice)`],
    [/^unquoted attribute value$/, () => 'a malformed start tag: an attribute value is not quoted'],
    [/^no whitespace between attributes$/, () => 'a malformed start tag: no whitespace between attributes'],
    [/^attribute without value$/, () => 'a malformed start tag: an attribute without a value'],
    [/^forward-slash in opening tag not followed by >$/, () => "a malformed start tag: '/' not followed by '>'"],
    [/^disallowed character in (tag name|attribute name|closing tag)$/, (m) => `a malformed tag: a character not allowed in a ${m[1] === 'closing tag' ? 'tag name' : m[1]}`],
    [/^malformed comment$/, () => 'a malformed comment ("--" is not allowed inside a comment)'],
    [/^the string "\]\]>" is disallowed in char data$/, () => '"]]>" outside a CDATA section'],
    [/^document must contain a root element$/, () => 'no root element'],
    [/^unexpected end$/, () => "malformed: the document ends inside markup (an unterminated tag, comment or CDATA section, or a bare '&')"],
    [/^unbound namespace prefix: "(.*)"$/, (m) => `an undeclared namespace prefix '${m[1]}'`],
    [/^inappropriately located doctype declaration$/, () => 'a DOCTYPE (document type declarations and entities are not allowed)'],
    [/^incorrect syntax$/, () => 'a markup declaration (<!DOCTYPE, <!ENTITY, ...): not allowed'],
    [/^processing instructions are not allowed before root$/, () => 'a processing instruction: not allowed'],
    [/^disallowed character$/, () => {
      // saxes has just read the offending character
      const c = source.codePointAt(offset - 1) ?? 0;
      if (c === 0x3c) return "an attribute value contains '<' (not allowed inside an attribute value)";
      return c < 0x20 ? `a control character (${codePoint(c)}) XML does not allow` : `a character (${codePoint(c)}) XML does not allow`;
    }],
  ];
  for (const [re, say] of rule) {
    const m = re.exec(message);
    if (m) return say(m);
  }
  return message;
}

/**
 * Parses a whole document (XML 1.0 with namespaces). Throws XmlError, with line and
 * column, for anything not well-formed, any DOCTYPE and any processing instruction.
 */
export function parseXml(source: string, opts: ParseOptions = {}): XmlDocument {
  if (typeof source !== 'string') throw new XmlError('not a string', 1, 1, 0);
  const parser = new SaxesParser({
    xmlns: true,
    position: true,
    defaultXMLVersion: '1.0',
    forceXMLVersion: true,
    ...(opts.namespaces ? { additionalNamespaces: opts.namespaces } : {}),
  });
  const open: XmlElement[] = [];
  const found: { root: XmlElement | null } = { root: null };
  let lastClosed: string | null = null;
  const refuse = (offset: number, what: string): never => {
    throw xmlErrorAt(source, offset, `not well-formed XML: ${what}`);
  };

  parser.on('error', (err) => {
    const { line, column, position } = parser;
    const what = describe(err.message, source, position, lastClosed);
    throw new XmlError(`not well-formed XML: ${what} (line ${line}, column ${column})`, line, column, position);
  });
  parser.on('doctype', () => refuse(Math.max(0, source.lastIndexOf('<!DOCTYPE', parser.position)), 'a DOCTYPE (document type declarations and entities are not allowed)'));
  parser.on('processinginstruction', () => refuse(Math.max(0, source.lastIndexOf('<?', parser.position)), 'a processing instruction: not allowed'));
  parser.on('text', (text) => {
    if (open.length) open[open.length - 1].text += text;
  });
  parser.on('cdata', (text) => {
    if (open.length) open[open.length - 1].text += text;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    // saxes reports the offset just past the tag's '>'; no '<' can occur inside a
    // start tag (not even in an attribute value), so the last '<' before it opens it.
    const contentStart = parser.position;
    const start = source.lastIndexOf('<', contentStart - 1);
    const parent = open.length ? open[open.length - 1] : null;
    const element: XmlElement = {
      name: tag.name,
      prefix: tag.prefix,
      local: tag.local,
      uri: tag.uri,
      attributes: Object.values(tag.attributes).map((a) => ({ name: a.name, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value })),
      parent,
      children: [],
      text: '',
      start,
      contentStart,
      contentEnd: contentStart,
      end: contentStart,
      selfClosing: tag.isSelfClosing,
    };
    if (parent) parent.children.push(element);
    else found.root = element;
    open.push(element);
  });
  parser.on('closetag', (tag: SaxesTagNS) => {
    const element = open.pop();
    if (!element) return;
    lastClosed = tag.name;
    if (!element.selfClosing) {
      element.end = parser.position;
      element.contentEnd = source.lastIndexOf('<', element.end - 1);
    }
  });

  parser.write(source).close();
  if (found.root === null) throw new XmlError('not well-formed XML: no root element (line 1, column 1)', 1, 1, 0);
  return { source, root: found.root };
}

/** The value of an attribute by the name it is written with, if present. */
export function attributeOf(element: XmlElement, name: string): string | undefined {
  return element.attributes.find((a) => a.name === name)?.value;
}

/** The child elements with this name, as written. */
export function childElements(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((c) => c.name === name);
}

/** Whether an attribute is a namespace declaration rather than data. */
export function isNamespaceDeclaration(a: XmlAttribute): boolean {
  return a.name === 'xmlns' || a.prefix === 'xmlns';
}

/** `source` with [from, to) replaced by `text`. */
export function splice(source: string, from: number, to: number, text: string): string {
  return source.slice(0, from) + text + source.slice(to);
}
