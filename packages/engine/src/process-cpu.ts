import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: `/proc/<pid>/stat` counts CPU time in hundredths of a second. */
const MS_PER_CLOCK_TICK = 10;

/** A process's CPU time (user + system) in ms, from `/proc/<pid>/stat`; null where there is none. */
export function cpuMsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, so split after its closing paren):
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * MS_PER_CLOCK_TICK : null;
  } catch {
    return null;
  }
}
