// The router's view of a domainXml placement request: the document must be one plain
// <domain> (core/xml parses it strictly: no DOCTYPE, no entities), and it is placed by
// setting <resource><partition>, everything else kept byte for byte.
import {
  DomainXmlError,
  parseDomainXml,
  readDomainIdentity,
  setDomainPartition as withDomainPartition,
  type DomainIdentity,
} from '../../core/xml/domain-xml.js';

export { DomainXmlError };
export type DomainXmlFacts = DomainIdentity;

/** Checks the document is one <domain> and reads the few facts the router needs. */
export function inspectDomainXml(xml: string): { facts: DomainXmlFacts } {
  return { facts: readDomainIdentity(parseDomainXml(xml)) };
}

/**
 * Returns the document with <domain><resource><partition> set to `partition`: an
 * existing partition's text is replaced, a missing one is added to <resource>, and a
 * missing <resource> is added as the last child of <domain>.
 */
export function setDomainPartition(xml: string, partition: string): { xml: string; facts: DomainXmlFacts } {
  const doc = parseDomainXml(xml);
  const facts = readDomainIdentity(doc);
  return { xml: withDomainPartition(doc, partition), facts };
}
