// libvirt failures as a placement or confirm answers them: the caller's request was
// fine, the host was not (503, retry later). libvirt's message may carry host paths and
// is logged, never sent: the answer names only its symbolic code.
import { isLibvirtError, mayBeConnectionLoss } from '../../core/host/errors.js';
import { refused, type Refusal } from './results.js';

/**
 * A libvirt failure as the caller is told it: 503 when libvirt is unreachable or failed
 * (retry later), without libvirt's message — it may carry host paths — only its code.
 */
export function hostRefusal(err: unknown, what: string): Refusal {
  if (!isLibvirtError(err)) throw err;
  if (mayBeConnectionLoss(err)) return refused('host-unavailable', `the connection to libvirt was lost while trying to ${what}; retry`);
  return refused('host-failed', `libvirt could not ${what} (${err.codeName}); retry, or see the daemon's log`);
}
