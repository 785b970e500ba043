/**
 * A full disk on demand: a small tmpfs mounted for the run (root only) holds the monitor's state
 * file; a ballast file fills it to the last byte, and removing the ballast frees it again.
 */
import { spawnSync } from "node:child_process";
import { closeSync, cpSync, mkdirSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { join } from "node:path";

export class SmallDisk {
  private mounted = false;
  private readonly ballast: string;
  /** Real ms the disk was full, summed over the fills. */
  fullMs = 0;
  private fullSince: number | null = null;

  constructor(
    readonly dir: string,
    readonly sizeMiB: number,
  ) {
    this.ballast = join(dir, "ballast");
  }

  /** Why this cannot run here, or null. */
  static unavailable(): string | null {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) return "not running as root (mounting a tmpfs needs it)";
    return null;
  }

  mount(): void {
    mkdirSync(this.dir, { recursive: true });
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${this.sizeMiB}m,mode=0700`, "tmpfs", this.dir], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`mount -t tmpfs on ${this.dir} failed: ${(r.stderr || r.error?.message || "").trim()}`);
    this.mounted = true;
  }

  /** Bytes free now. */
  free(): number {
    const s = statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Writes the ballast until the filesystem refuses (bounded by the disk's size). */
  fill(): number {
    const fd = openSync(this.ballast, "w");
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    let written = 0;
    try {
      for (let i = 0; i < this.sizeMiB * 2 + 16; i++) {
        try {
          written += writeSync(fd, chunk);
        } catch {
          // ENOSPC: whole chunks no longer fit; fill the rest byte-exactly
          for (let size = chunk.length >> 1; size >= 1; size >>= 1) {
            try {
              written += writeSync(fd, chunk, 0, size);
            } catch {
              // this size no longer fits either
            }
          }
          break;
        }
      }
    } finally {
      closeSync(fd);
    }
    this.fullSince = Date.now();
    return written;
  }

  release(): void {
    rmSync(this.ballast, { force: true });
    if (this.fullSince !== null) this.fullMs += Date.now() - this.fullSince;
    this.fullSince = null;
  }

  /** Frees, copies what is on it to `keepTo` (if given), and unmounts. */
  dispose(keepTo?: string): void {
    if (!this.mounted) return;
    this.release();
    if (keepTo) {
      try {
        cpSync(this.dir, keepTo, { recursive: true });
      } catch {
        // best effort: the run's result does not depend on it
      }
    }
    const r = spawnSync("umount", [this.dir], { encoding: "utf8" });
    if (r.status !== 0) spawnSync("umount", ["-l", this.dir]);
    this.mounted = false;
  }
}
