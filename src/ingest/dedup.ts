/**
 * The identities of counted events (conversation / acd participant / kind), with their event
 * time so old ones can be forgotten once no source can deliver them again. This set is the
 * state of every leg's state machine: a kind, once counted, is never counted again.
 */
export class Dedup {
  private readonly seen = new Map<string, number>();

  constructor(entries: Iterable<[string, number]> = []) {
    for (const [id, t] of entries) this.seen.set(id, t);
  }

  has(id: string): boolean {
    return this.seen.has(id);
  }

  add(id: string, time: number): void {
    this.seen.set(id, time);
  }

  get size(): number {
    return this.seen.size;
  }

  prune(before: number): void {
    for (const [id, t] of this.seen) if (t < before) this.seen.delete(id);
  }
}
