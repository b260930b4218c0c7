// Named points where a crash test can freeze the daemon, the way etcd's gofail and
// FreeBSD's fail points do: with VIRTZONE_FAILPOINTS=name[,name...] in its environment
// the daemon writes "failpoint <name> reached" on stderr when it gets there and waits
// for ever, so a test can kill -9 it at exactly that step. Without the variable a
// failpoint costs one environment lookup, next to the libvirt call it follows.

function armed(name: string): boolean {
  const list = process.env.VIRTZONE_FAILPOINTS;
  return list !== undefined && list.split(',').some((s) => s.trim() === name);
}

/** The steps of a domain creation a crash test can stop at. */
export type FailpointName =
  | 'create.after-intent'
  | 'create.after-volume'
  | 'create.after-define'
  | 'create.after-start'
  | 'create.before-answer';

/** Resolves at once unless `name` is armed; an armed point never resolves. */
export function failpoint(name: FailpointName): Promise<void> {
  if (!armed(name)) return Promise.resolve();
  process.stderr.write(`failpoint ${name} reached\n`);
  return new Promise<void>(() => undefined);
}
