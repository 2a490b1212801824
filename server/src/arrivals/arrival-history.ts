/**
 * GET /api/arrivals: arrivals newest first from the database of record, scoped by the user's role
 * whatever the query says; the events the live channel still holds are returned as they were sent
 * (with their event ids), older ones rebuilt from their rows.
 */
import type { ArrivalEvent } from '@sk/protocol';
import type { Regions } from '@sk/protocol/regions';
import type { PublicUser } from '../auth/users.ts';
import type { RecordsDb } from '../db/database.ts';
import { recentScans, rowToScan } from '../db/scan-rows.ts';
import { ApiError } from '../http/api-error.ts';
import type { ArrivalQuery } from '../http/app.ts';
import { toArrivalEvent } from '../live/arrival-event.ts';
import type { Live } from '../live/live.ts';

export function arrivalHistory(d: { rdb: RecordsDb; live: Live; regions: Regions; feverC: number }) {
  return async (user: PublicUser, q: ArrivalQuery): Promise<ArrivalEvent[]> => {
    const village = user.role === 'village' ? user.villageCode : q.village;
    const checkpoint = user.role === 'checkpoint' ? user.checkpointId : q.checkpoint;
    let before = q.before;
    if (before && /^\d+$/.test(before)) {
      before = d.live.recent({ role: 'command' }, 5000).find((e) => e.eventId === Number(before))?.scannedAt;
      if (!before) throw new ApiError('bad_request', 'before: unknown eventId; pass an ISO time');
    }
    let rows;
    try {
      rows = await recentScans(d.rdb, { checkpointId: checkpoint, districtCode: q.district, villageCode: village, health: q.health as never, before, limit: q.limit });
    } catch {
      throw new ApiError('unavailable', 'riwayat kedatangan sedang tidak tersedia (basis data tidak terjangkau)');
    }
    const known = new Map(d.live.recent({ role: 'command' }, 5000).map((e) => [e.scanId, e]));
    return rows.map((row) => known.get(row.scan_id) ?? toArrivalEvent(rowToScan(row), 0, row.received_at, d.regions, d.feverC));
  };
}
