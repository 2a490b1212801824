/** The outbox's figures: protocol's OutboxStats plus its fill level. */
import type { OutboxStatsSchema } from '@sk/protocol';
import type { z } from 'zod';
import type { Entry } from './outbox-recovery.ts';

export type OutboxStats = z.infer<typeof OutboxStatsSchema>;
export interface OutboxHealth extends OutboxStats {
  /** diskBytes / diskLimitBytes, 0…1+. */
  fillRatio: number;
  /** True from `warnRatio` (default 80 %) on: show it as device health before the disk is full. */
  warning: boolean;
  nextSeq: number;
  segments: number;
  /** Bytes of torn/corrupt records dropped by recovery when this outbox was opened. */
  droppedTailBytes: number;
}

export function healthOf(depth: number, first: Entry | undefined, diskBytes: number, maxBytes: number, warnRatio: number, now: number, nextSeq: number, segments: number, droppedTailBytes: number): OutboxHealth {
  const fillRatio = maxBytes > 0 ? diskBytes / maxBytes : 1;
  return {
    depth,
    oldestAgeSec: first ? Math.max(0, (now - first.appendedAt) / 1000) : null,
    diskBytes,
    diskLimitBytes: maxBytes,
    fillRatio,
    warning: fillRatio >= warnRatio,
    nextSeq,
    segments,
    droppedTailBytes,
  };
}

/** Just the protocol's OutboxStats fields (the status payload schema is strict). */
export function protocolStats(h: OutboxStats): OutboxStats {
  return { depth: h.depth, oldestAgeSec: h.oldestAgeSec, diskBytes: h.diskBytes, diskLimitBytes: h.diskLimitBytes };
}
