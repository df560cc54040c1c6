/**
 * "Read up to" per conversation, for unread counts that survive reloads. Kept in the
 * encrypted vault next to the SDK's records (who you talk to is private too).
 */
import type { RecordStore } from '@susurro/client';

const PREFIX = 'web:read:';

export class ReadMarks {
  private marks = new Map<string, number>();

  constructor(private readonly store: RecordStore) {}

  async load(): Promise<void> {
    const rows = await this.store.list(PREFIX);
    this.marks = new Map(
      rows.map(([k, v]) => [
        k.slice(PREFIX.length),
        (JSON.parse(new TextDecoder().decode(v)) as { upTo: number }).upTo,
      ]),
    );
  }

  get all(): ReadonlyMap<string, number> {
    return this.marks;
  }

  /** Records that everything in `peer`'s conversation up to `upTo` was seen. */
  async mark(peer: string, upTo: number): Promise<boolean> {
    if (upTo <= (this.marks.get(peer) ?? 0)) return false;
    this.marks.set(peer, upTo);
    await this.store.write([[PREFIX + peer, new TextEncoder().encode(JSON.stringify({ upTo }))]]);
    return true;
  }
}
