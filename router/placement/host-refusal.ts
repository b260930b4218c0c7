// libvirt failures as a placement or confirm answers them: the caller's request was
// fine, the host was not (503, retry later). libvirt's message may carry host paths and
// is logged, never sent: the answer names only its symbolic code.
import { isHostCallTimeout, isLibvirtError, mayBeConnectionLoss, type HostCallTimeout } from '../../core/host/errors.js';
import { ProblemError } from '../problem.js';
import { refused, type Refusal } from './results.js';

/**
 * A libvirt failure as the caller is told it: 503 when libvirt is unreachable or failed
 * (retry later), without libvirt's message — it may carry host paths — only its code.
 * A call that did not answer in time is thrown as hostTimeoutProblem (see there).
 */
export function hostRefusal(err: unknown, what: string): Refusal {
  if (isHostCallTimeout(err)) throw hostTimeoutProblem(err, what);
  if (!isLibvirtError(err)) throw err;
  if (mayBeConnectionLoss(err)) return refused('host-unavailable', `the connection to libvirt was lost while trying to ${what}; retry`);
  return refused('host-failed', `libvirt could not ${what} (${err.codeName}); retry, or see the daemon's log`);
}

/**
 * libvirt did not answer a call made for this request within libvirt.callTimeoutSeconds:
 * 503 host-timeout with Retry-After. Thrown, not returned as a Refusal, so the route's
 * error handler sends it as it is. The detail names the operation only: what libvirt is
 * stuck on (paths, domain XML) is not the caller's business.
 */
export function hostTimeoutProblem(err: HostCallTimeout, what?: string): ProblemError {
  const seconds = Math.round(err.timeoutMs / 100) / 10;
  const retryAfter = Math.max(5, Math.ceil(err.timeoutMs / 1000));
  const doing = what ? ` while trying to ${what}` : '';
  return new ProblemError(503, 'host-timeout', 'Hypervisor not answering', `libvirt did not answer ${err.operation} within ${seconds} s${doing}; retry later`, {
    headers: { 'retry-after': String(retryAfter) },
    extensions: { operation: err.operation, timeoutSeconds: seconds },
  });
}
