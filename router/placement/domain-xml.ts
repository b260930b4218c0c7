// A careful edit of untrusted libvirt domain XML: a strict, small well-formedness
// scanner (no DOCTYPE, so no entities of any kind, internal or external; no processing
// instructions but the XML declaration; only the five predefined entity references and
// character references), then a splice at the offsets it found. Everything the caller
// wrote outside <resource><partition> is kept byte for byte.

export class DomainXmlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DomainXmlError';
  }
}

interface ElementSpan {
  name: string;
  depth: number;
  /** offset of '<' of the start tag */
  start: number;
  /** offset just past the start tag's '>' */
  contentStart: number;
  /** offset of the end tag's '<' (= contentStart - 2 ... for <x/>: -1) */
  contentEnd: number;
  /** offset just past the element */
  end: number;
  selfClosing: boolean;
  parent: number; // index into the element list, -1 for the root
}

const NAME = /[A-Za-z_][A-Za-z0-9._:-]*/y;
const SPACE = /[ \t\r\n]*/y;
// XML 1.0 forbids these control characters anywhere in a document
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const REFERENCE = /&(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});/y;

function fail(at: number, what: string): never {
  throw new DomainXmlError(`not well-formed XML at offset ${at}: ${what}`);
}

/** Checks the text between markup: '&' must start a valid reference, no '<', no ']]>'. */
function checkText(xml: string, from: number, to: number, inAttribute: boolean): void {
  for (let i = from; i < to; i++) {
    const c = xml.charCodeAt(i);
    if (c === 0x26 /* & */) {
      REFERENCE.lastIndex = i;
      const m = REFERENCE.exec(xml);
      if (!m || m.index !== i || i + m[0].length > to) fail(i, 'an "&" that is not a predefined entity or character reference (entities are not allowed)');
      const ref = m[0];
      if (ref.startsWith('&#')) {
        const cp = ref[2] === 'x' ? parseInt(ref.slice(3, -1), 16) : parseInt(ref.slice(2, -1), 10);
        const ok = cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
        if (!ok) fail(i, `a character reference to a character XML does not allow (${ref})`);
      }
      i += ref.length - 1;
    } else if (c === 0x3c /* < */) {
      fail(i, inAttribute ? 'a "<" inside an attribute value' : 'a stray "<"');
    } else if (!inAttribute && c === 0x5d /* ] */ && xml.startsWith(']]>', i)) {
      fail(i, '"]]>" outside a CDATA section');
    }
  }
}

/** Skips whitespace, comments and (only when allowed) the XML declaration. */
function skipMisc(xml: string, i: number, allowDeclaration: boolean): number {
  for (;;) {
    SPACE.lastIndex = i;
    SPACE.exec(xml);
    i = SPACE.lastIndex;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) fail(i, 'an unterminated comment');
      if (xml.slice(i + 4, end).includes('--')) fail(i, '"--" inside a comment');
      i = end + 3;
    } else if (allowDeclaration && xml.startsWith('<?xml', i) && /[ \t\r\n?]/.test(xml[i + 5] ?? '')) {
      const end = xml.indexOf('?>', i);
      if (end < 0) fail(i, 'an unterminated XML declaration');
      const decl = xml.slice(i, end + 2);
      if (!/^<\?xml\s+version\s*=\s*(["'])1\.[0-9]\1(\s+encoding\s*=\s*(["'])[A-Za-z][A-Za-z0-9._-]*\3)?(\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*\?>$/.test(decl)) {
        fail(i, 'a malformed XML declaration');
      }
      i = end + 2;
    } else {
      return i;
    }
    allowDeclaration = false;
  }
}

/** Scans a whole document; returns every element with its offsets, in document order. */
export function scanXml(xml: string): ElementSpan[] {
  const bad = FORBIDDEN_CHAR.exec(xml);
  if (bad) fail(bad.index, `a control character (U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0')}) XML does not allow`);
  // a byte order mark is fine; the declaration may only come first
  let i = skipMisc(xml, xml.charCodeAt(0) === 0xfeff ? 1 : 0, true);
  if (xml.startsWith('<!DOCTYPE', i) || xml.startsWith('<!doctype', i)) fail(i, 'a DOCTYPE (document type declarations and entities are not allowed)');
  if (xml[i] !== '<') fail(i, 'expected the root element');
  const elements: ElementSpan[] = [];
  const stack: number[] = [];
  let rootDone = false;
  while (i < xml.length) {
    if (rootDone) {
      i = skipMisc(xml, i, false);
      if (i < xml.length) fail(i, 'content after the root element (one <domain> document only)');
      break;
    }
    const lt = xml.indexOf('<', i);
    if (lt < 0) fail(i, 'unterminated element');
    if (stack.length === 0 && lt !== i) fail(i, 'text outside the root element');
    checkText(xml, i, lt, false);
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i + 4);
      if (end < 0) fail(i, 'an unterminated comment');
      if (xml.slice(i + 4, end).includes('--')) fail(i, '"--" inside a comment');
      i = end + 3;
    } else if (xml.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail(i, 'CDATA outside the root element');
      const end = xml.indexOf(']]>', i + 9);
      if (end < 0) fail(i, 'an unterminated CDATA section');
      i = end + 3;
    } else if (xml.startsWith('<!', i)) {
      fail(i, 'a markup declaration (DOCTYPE, ENTITY, ...) — not allowed');
    } else if (xml.startsWith('<?', i)) {
      fail(i, 'a processing instruction — not allowed');
    } else if (xml.startsWith('</', i)) {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(xml);
      if (!m || m.index !== i + 2) fail(i, 'a malformed end tag');
      const top = stack.pop();
      if (top === undefined || elements[top].name !== m[0]) fail(i, `end tag </${m[0]}> does not match the open element`);
      SPACE.lastIndex = i + 2 + m[0].length;
      SPACE.exec(xml);
      if (xml[SPACE.lastIndex] !== '>') fail(SPACE.lastIndex, 'a malformed end tag');
      elements[top].contentEnd = i;
      i = SPACE.lastIndex + 1;
      elements[top].end = i;
      if (stack.length === 0) rootDone = true;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(xml);
      if (!m || m.index !== i + 1) fail(i, 'a malformed start tag');
      const start = i;
      i += 1 + m[0].length;
      const seen = new Set<string>();
      let selfClosing = false;
      for (;;) {
        SPACE.lastIndex = i;
        SPACE.exec(xml);
        const hadSpace = SPACE.lastIndex > i;
        i = SPACE.lastIndex;
        if (xml[i] === '>') { i++; break; }
        if (xml.startsWith('/>', i)) { i += 2; selfClosing = true; break; }
        if (!hadSpace) fail(i, 'expected whitespace between attributes');
        NAME.lastIndex = i;
        const a = NAME.exec(xml);
        if (!a || a.index !== i) fail(i, 'a malformed attribute');
        if (seen.has(a[0])) fail(i, `a duplicate attribute ${a[0]}`);
        seen.add(a[0]);
        i += a[0].length;
        SPACE.lastIndex = i; SPACE.exec(xml); i = SPACE.lastIndex;
        if (xml[i] !== '=') fail(i, `attribute ${a[0]} without a value`);
        i++;
        SPACE.lastIndex = i; SPACE.exec(xml); i = SPACE.lastIndex;
        const q = xml[i];
        if (q !== '"' && q !== "'") fail(i, `attribute ${a[0]}'s value is not quoted`);
        const close = xml.indexOf(q, i + 1);
        if (close < 0) fail(i, `attribute ${a[0]}'s value is not terminated`);
        checkText(xml, i + 1, close, true);
        i = close + 1;
      }
      if (stack.length === 0 && elements.length > 0) fail(start, 'a second root element');
      const idx = elements.length;
      elements.push({
        name: m[0],
        depth: stack.length,
        start,
        contentStart: i,
        contentEnd: selfClosing ? i : -1,
        end: selfClosing ? i : -1,
        selfClosing,
        parent: stack.length ? stack[stack.length - 1] : -1,
      });
      if (selfClosing) {
        if (stack.length === 0) rootDone = true;
      } else {
        stack.push(idx);
      }
    }
  }
  if (stack.length) fail(xml.length, `element <${elements[stack[stack.length - 1]].name}> is not closed`);
  if (elements.length === 0) fail(0, 'no root element');
  return elements;
}

export function escapeXmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeXmlAttribute(s: string): string {
  return escapeXmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function decodeText(s: string): string {
  return s
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, (_m, t: string) => t.replace(/&/g, '&amp;'))
    .replace(/&(lt|gt|amp|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);/g, (_m, e: string) => {
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
      if (e in named) return named[e];
      return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    });
}

export interface DomainXmlFacts {
  name: string | null;
  uuid: string | null;
}

function children(elements: ElementSpan[], parent: number, name: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < elements.length; i++) if (elements[i].parent === parent && elements[i].name === name) out.push(i);
  return out;
}

function textOf(xml: string, e: ElementSpan, elements: ElementSpan[], idx: number): string {
  if (elements.some((c) => c.parent === idx)) throw new DomainXmlError(`<${e.name}> must contain text only`);
  return decodeText(xml.slice(e.contentStart, e.contentEnd)).trim();
}

/** Checks the document is one <domain> and reads the few facts the router needs. */
export function inspectDomainXml(xml: string): { elements: ElementSpan[]; facts: DomainXmlFacts } {
  const elements = scanXml(xml);
  const root = elements[0];
  if (root.name !== 'domain') throw new DomainXmlError(`the root element is <${root.name}>, expected <domain>`);
  const single = (name: string): string | null => {
    const found = children(elements, 0, name);
    if (found.length > 1) throw new DomainXmlError(`<domain> has ${found.length} <${name}> elements, expected at most one`);
    return found.length ? textOf(xml, elements[found[0]], elements, found[0]) : null;
  };
  return { elements, facts: { name: single('name'), uuid: single('uuid') } };
}

/**
 * Returns the document with <domain><resource><partition> set to `partition`: an
 * existing partition's text is replaced, a missing one is added to <resource>, and a
 * missing <resource> is added as the last child of <domain>.
 */
export function setDomainPartition(xml: string, partition: string): { xml: string; facts: DomainXmlFacts } {
  const { elements, facts } = inspectDomainXml(xml);
  const root = elements[0];
  const value = escapeXmlText(partition);
  const resources = children(elements, 0, 'resource');
  if (resources.length > 1) throw new DomainXmlError(`<domain> has ${resources.length} <resource> elements, expected at most one`);
  const splice = (from: number, to: number, text: string) => xml.slice(0, from) + text + xml.slice(to);
  if (root.selfClosing) {
    return { xml: splice(root.contentStart - 2, root.end, `><resource><partition>${value}</partition></resource></domain>`), facts };
  }
  if (resources.length === 0) {
    return { xml: splice(root.contentEnd, root.contentEnd, `<resource><partition>${value}</partition></resource>`), facts };
  }
  const ri = resources[0];
  const res = elements[ri];
  if (res.selfClosing) {
    return { xml: splice(res.start, res.end, `<resource><partition>${value}</partition></resource>`), facts };
  }
  const partitions = children(elements, ri, 'partition');
  if (partitions.length > 1) throw new DomainXmlError(`<resource> has ${partitions.length} <partition> elements, expected at most one`);
  if (partitions.length === 0) {
    return { xml: splice(res.contentStart, res.contentStart, `<partition>${value}</partition>`), facts };
  }
  const p = elements[partitions[0]];
  if (elements.some((c) => c.parent === partitions[0])) throw new DomainXmlError('<partition> must contain text only');
  return { xml: splice(p.start, p.end, `<partition>${value}</partition>`), facts };
}
