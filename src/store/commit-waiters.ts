/**
 * Waiting for a commit: a source that must not acknowledge what it delivered before that is in
 * the state file (SQS: a message is deleted only then) asks `next()`, and the committer's caller
 * brackets each commit with `take()` and `settle()`. Delivery and commits run on one thread, so
 * the waiters present when a commit starts are exactly those whose deliveries it includes.
 */

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

export class CommitWaiters {
  private waiting: Waiter[] = [];
  private closed: Error | null = null;

  /** Resolves after the next successful commit that starts after this call; rejects once no commit can come. */
  next(): Promise<void> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  get size(): number {
    return this.waiting.length;
  }

  /** A commit starts: the waiters it covers. */
  take(): Waiter[] {
    const taken = this.waiting;
    this.waiting = [];
    return taken;
  }

  /** The commit that took `taken` succeeded (they resolve) or failed (they wait for the next one). */
  settle(taken: Waiter[], ok: boolean): void {
    if (ok) for (const w of taken) w.resolve();
    else this.waiting = taken.concat(this.waiting);
  }

  /** No commit will come (the monitor stops): every waiter and every later `next()` rejects. */
  close(reason: string): void {
    this.closed = new Error(reason);
    for (const w of this.take()) w.reject(this.closed);
  }
}
