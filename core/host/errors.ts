// Errors of the host layer. LibvirtError carries libvirt's own classification of a failure
// (numeric code and domain, plus their symbolic names from <libvirt/virterror.h>), copied
// by the addon on the worker thread right after the failing call: libvirt keeps its last
// error per thread, so it cannot be fetched later from the main thread.

/** What the addon reports for one libvirt error (see core/host/native/errors.cc). */
export interface LibvirtErrorInfo {
  /** virErrorNumber, e.g. 42 */
  code: number;
  /** virErrorDomain (which part of libvirt raised it), e.g. 12 */
  domain: number;
  /** virErrorLevel: 1 warning, 2 error */
  level: number;
  /** libvirt's message, as it would print it */
  message: string;
  /** symbolic code, e.g. 'VIR_ERR_NO_DOMAIN' */
  codeName: string;
  /** symbolic domain, e.g. 'VIR_FROM_QEMU' */
  domainName: string;
}

export class LibvirtError extends Error {
  override readonly name = 'LibvirtError';
  readonly code: number;
  readonly domain: number;
  readonly level: number;
  readonly codeName: string;
  readonly domainName: string;
  /** libvirt's message alone; `message` is prefixed with the operation when known */
  readonly libvirtMessage: string;
  /** what virtzone was doing, e.g. "setVcpus('web-1', 9)" */
  readonly operation?: string;

  constructor(info: LibvirtErrorInfo, operation?: string) {
    super(operation ? `${operation}: ${info.message}` : info.message);
    this.code = info.code;
    this.domain = info.domain;
    this.level = info.level;
    this.codeName = info.codeName;
    this.domainName = info.domainName;
    this.libvirtMessage = info.message;
    this.operation = operation;
  }

  /** The same error, told as a failure of `operation` (stack from the caller). */
  withOperation(operation: string): LibvirtError {
    return new LibvirtError(this.info(), operation);
  }

  info(): LibvirtErrorInfo {
    return {
      code: this.code,
      domain: this.domain,
      level: this.level,
      message: this.libvirtMessage,
      codeName: this.codeName,
      domainName: this.domainName,
    };
  }
}

export function isLibvirtError(err: unknown, codeName?: string): err is LibvirtError {
  return err instanceof LibvirtError && (codeName === undefined || err.codeName === codeName);
}

/** libvirt's codes for "there is no such object", by the kind of object looked for. */
export const NOT_FOUND_CODE_NAMES = {
  domain: 'VIR_ERR_NO_DOMAIN',
  storagePool: 'VIR_ERR_NO_STORAGE_POOL',
  storageVolume: 'VIR_ERR_NO_STORAGE_VOL',
  network: 'VIR_ERR_NO_NETWORK',
} as const;

export type NotFoundKind = keyof typeof NOT_FOUND_CODE_NAMES;

const NOT_FOUND = new Set<string>(Object.values(NOT_FOUND_CODE_NAMES));

/**
 * Whether `err` says the domain, storage pool, storage volume or network asked for does
 * not exist (only that kind when `kind` is given). Any other failure, including a lost
 * connection, is not "not found": the object may well exist.
 */
export function isNotFound(err: unknown, kind?: NotFoundKind): err is LibvirtError {
  if (!(err instanceof LibvirtError)) return false;
  return kind === undefined ? NOT_FOUND.has(err.codeName) : err.codeName === NOT_FOUND_CODE_NAMES[kind];
}

/**
 * Errors that may mean the connection itself is gone (as opposed to a failed request on
 * a healthy connection). The caller confirms with virConnectIsAlive before giving up on it.
 */
export function mayBeConnectionLoss(err: unknown): boolean {
  if (!(err instanceof LibvirtError)) return false;
  return (
    err.codeName === 'VIR_ERR_INVALID_CONN' ||
    err.codeName === 'VIR_ERR_NO_CONNECT' ||
    err.codeName === 'VIR_ERR_RPC' ||
    err.domainName === 'VIR_FROM_RPC' ||
    err.domainName === 'VIR_FROM_REMOTE'
  );
}

/** Thrown by HostSupervisor.current() while there is no usable connection. */
export class HostUnavailableError extends Error {
  override readonly name: string = 'HostUnavailableError';
  readonly uri: string;
  /** when the connection was lost or the supervisor started, ms since epoch */
  readonly since: number;
  readonly lastError?: Error;

  constructor(uri: string, reason: string, since: number, lastError?: Error) {
    super(`libvirt host '${uri}' is unavailable: ${reason}`);
    this.uri = uri;
    this.since = since;
    this.lastError = lastError;
  }
}

/**
 * A host call did not answer within its deadline (see deadline.ts). The call itself is
 * not cancelled — libvirt has no way to — and keeps running on its thread: what it did is
 * unknown until `settled` resolves. A HostUnavailableError, since for the caller the host
 * is unavailable now; `operation` names the call (e.g. "define"), never its arguments.
 */
export class HostCallTimeout extends HostUnavailableError {
  override readonly name = 'HostCallTimeout';
  readonly operation: string;
  readonly timeoutMs: number;
  /** resolves (never rejects) once the call that timed out has finished, either way */
  readonly settled: Promise<void>;

  constructor(uri: string, operation: string, timeoutMs: number, settled: Promise<void>) {
    super(uri, `libvirt did not answer ${operation} within ${timeoutMs} ms`, Date.now());
    this.message = `libvirt host '${uri}' did not answer ${operation} within ${timeoutMs} ms`;
    this.operation = operation;
    this.timeoutMs = timeoutMs;
    this.settled = settled;
  }
}

export function isHostCallTimeout(err: unknown): err is HostCallTimeout {
  return err instanceof HostCallTimeout;
}
