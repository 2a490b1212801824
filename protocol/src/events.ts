/**
 * socket.io event maps, used by both `Server<…>` (server/) and `Socket<…>` (console/, tests).
 * One copy: the console and the server cannot drift.
 */
import type { DeviceStatus, HealthScreening, HealthStatus } from './schemas.ts';
import type { AlertEvent } from './alerts.ts';
import type { AlertSummary, FollowUpEvent } from './follow-ups.ts';
import type { AidAlarm } from './aid.ts';
import type { PuskesmasMissing } from './puskesmas.ts';
import type { ArrivalBatch } from './arrival-batch.ts';

/** A scan as the console sees it: personal data only for rooms allowed to see it; NIK masked. */
export interface ArrivalEvent {
  /** Monotonic per server: the client's catch-up cursor. */
  eventId: number;
  scanId: string;
  checkpointId: string;
  deviceId: string;
  scannedAt: string;
  receivedAt: string;
  nikMasked: string;
  name: string;
  sex: 'L' | 'P';
  birthDate: string;
  originAddress: string;
  originRegencyCode: string;
  originRegencyName: string | null;
  destinationVillageCode: string;
  destinationVillageName: string | null;
  destinationDistrictCode: string;
  destinationDistrictName: string | null;
  health: HealthScreening;
  healthStatus: HealthStatus;
}

export interface CheckpointCount { checkpointId: string; today: number }

export interface CatchUpReply {
  events: ArrivalEvent[];
  /** True when the server no longer holds everything since the cursor: reload via HTTP. */
  truncated: boolean;
  lastEventId: number;
}

export interface ServerToClientEvents {
  /**
   * Accepted scans, oldest first: the arrivals of one server event-loop turn, up to 64 per message (one
   * encode and one WebSocket frame per room, not one per scan), filtered to the socket's scope. Packed
   * as rows under column names (arrival-batch.ts): read them with `unpackArrivals`.
   */
  'arrivals': (batch: ArrivalBatch) => void;
  'counts': (counts: CheckpointCount[]) => void;
  /** To `command` and the device's checkpoint room only (a village officer has no business with devices). */
  'device:status': (s: DeviceStatus) => void;
  /** Double aid (issue 6): to `command` and every involved village's room, never a third village. */
  'aid:alarm': (a: AidAlarm) => void;
  /** The alarm was acknowledged or resolved. */
  'aid:alarm-update': (a: AidAlarm) => void;
  /** Puskesmas daily reports missing by the deadline hour (command only). */
  'puskesmas:missing': (m: PuskesmasMissing) => void;
  /** Raised, repeated, acknowledged or cleared; to `command`, the alert's village and its checkpoint. Reload /api/alerts after a reconnect. */
  'alert': (a: AlertEvent) => void;
  /**
   * A follow-up opened, folded a repeat, or changed state (issue 17): to the destination village's room
   * and `command`; without name or NIK (join by scanId). Reload /api/follow-ups after a reconnect.
   */
  'follow-up': (f: FollowUpEvent) => void;
  /** The command centre's counts changed (at most once a second): to `command`. */
  'alerts:summary': (s: AlertSummary) => void;
  'hello': (info: { serverTime: string; lastEventId: number; scope: LiveScope }) => void;
}

export interface ClientToServerEvents {
  /** Ask for everything after `afterEventId` (after a reconnect). */
  'catchup': (afterEventId: number, reply: (r: CatchUpReply) => void) => void;
}

/**
 * Which live rooms a connection belongs to: the command centre sees all; a village officer one village
 * (its travellers and their alerts); a checkpoint supervisor one checkpoint (its scans, alerts and
 * devices). `{ role: 'checkpoint', checkpointId: 'ketapang' }`
 */
export type LiveScope =
  | { role: 'command' }
  | { role: 'village'; villageCode: string }
  | { role: 'checkpoint'; checkpointId: string };
