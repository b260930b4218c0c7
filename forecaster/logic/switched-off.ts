// A VM that has been switched off reports zero cores AND zero memory in use. Memory
// alone is not enough: some traces report 0 memory for a busy VM (Bitbrains VM 25).
// Such a VM is forecast at zero rather than at the noise a model would put there.

const OFF_STEPS = 6; // 30 minutes of nothing at all

/** True when both series are exactly zero over the OFF_STEPS steps ending at t. */
export function isSwitchedOff(cpu: ArrayLike<number>, memory: ArrayLike<number>, t: number, steps = OFF_STEPS): boolean {
  if (t - steps + 1 < 0) return false;
  for (let i = t - steps + 1; i <= t; i++) {
    if (cpu[i] !== 0 || memory[i] !== 0) return false; // NaN (unknown) is not "off" either
  }
  return true;
}
