/** What /proc says about a process: CPU seconds, RSS and its peak (Linux). */
import { readFileSync } from "node:fs";

const CLK_TCK = 100; // Linux USER_HZ

export interface ProcSample {
  cpuSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
}

/** CPU seconds (user + system) from /proc/<pid>/stat, RSS and its peak (VmHWM) from /proc/<pid>/status; null once it is gone. */
export function sample(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const cpuSeconds = (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { cpuSeconds, rssMiB: kb("VmRSS") / 1024, peakRssMiB: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}
