/** The double-aid journal's lines (short keys: the journal of a whole regency is millions of lines). */
import type { AidAlarm } from '@sk/protocol';
import type { Ack } from '../cluster/shared-aid-alarms.ts';

export type HandoutLine = { t: 'h'; id: string; p: string; d: string; v: string; at: string; by: string; pk: string; kk: string | null; nk: string | null };
export type Line =
  | HandoutLine
  | { t: 'a'; alarm: AidAlarm }
  | { t: 'k'; alarmId: number; by: string; at: string }
  | { t: 'r'; alarmId: number; action: 'cancel' | 'confirm'; reason: string; by: string; at: string; cancelled: HandoutLine | null }
  | { t: 'd'; id: string; v: string; by: string; at: string }
  | { t: 'q'; v: string; p: string; by: string; at: string; matches: number }
  | { t: 'i'; v: string | null; by: string; at: string; imported: number; errors: number };

export type ResolveLine = Extract<Line, { t: 'r' }>;
/** Cluster mode: what instances publish to each other (the journal lines, plus what the others need). */
export type SharedLine = { t: 'a'; alarm: AidAlarm; handout: HandoutLine | null } | Extract<Line, { t: 'k' }> | (ResolveLine & { ack?: Ack | null });
