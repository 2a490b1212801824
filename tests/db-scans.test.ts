/**
 * The storage suite, scans part: the same tests on SQLite and PostgreSQL (issue 15).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { insertScans, recentScans, rowToScan, scanToRow, storedScanIds, countScans } from '../server/src/db/scan-rows.ts';
import { migrateToLatest, SchemaTooNewError } from '../server/src/db/migrations.ts';
import { openDatabase } from '../server/src/db/database.ts';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, freshDb, stopPrivatePostgres } from './db-fixtures.ts';
import { makeScan, tempDir } from './server-fixtures.ts';

afterAll(stopPrivatePostgres);

describe.each(ENGINES)('scans on %s', (engine) => {
  it('a batch lands once; a redelivered scan is reported as already stored, with its stored time', async () => {
    const rdb = await freshDb(engine);
    try {
      const scans = Array.from({ length: 50 }, (_, i) => makeScan(i + 1));
      const rows = scans.map((scan) => scanToRow({ scan, receivedAt: new Date().toISOString(), eta: scan.scannedAt }, 37.5));
      const first = await insertScans(rdb, rows);
      expect(first.inserted.size).toBe(50);
      expect(first.storedAt.size).toBe(0);
      const again = await insertScans(rdb, [...rows.slice(0, 10), ...rows.slice(0, 10)]);
      expect(again.inserted.size).toBe(0);
      expect(again.storedAt.get(scans[3]!.scanId)).toBe(scans[3]!.scannedAt);
      expect(await countScans(rdb)).toBe(50);
    } finally {
      await rdb.close();
    }
  });

  it('keeps hostile text as text and reads the scan back as it was sent', async () => {
    const rdb = await freshDb(engine);
    try {
      const scan = makeScan(1, { name: `O'Brien "<script>alert(1)</script>", Jr; DROP TABLE scans`, originAddress: 'Jl. Koma, "kutip" \\ garis' });
      await insertScans(rdb, [scanToRow({ scan, receivedAt: scan.scannedAt, eta: scan.scannedAt }, 37.5)]);
      const [row] = await recentScans(rdb, { limit: 5 });
      expect(rowToScan(row!)).toEqual(scan);
    } finally {
      await rdb.close();
    }
  });

  it('answers newest first by village, checkpoint and time; lists stored ids in a range', async () => {
    const rdb = await freshDb(engine);
    try {
      const base = Date.parse('2026-12-01T00:00:00.000Z');
      const scans = Array.from({ length: 20 }, (_, i) =>
        makeScan(i + 1, { scannedAt: new Date(base + i * 60_000).toISOString(), destinationVillageCode: i % 2 ? '35.10.21.2001' : '35.10.01.2001' }),
      );
      await insertScans(rdb, scans.map((scan) => scanToRow({ scan, receivedAt: scan.scannedAt, eta: scan.scannedAt }, 37.5)));
      const village = await recentScans(rdb, { villageCode: '35.10.21.2001', limit: 100 });
      expect(village).toHaveLength(10);
      expect(village.every((r) => r.dest_village === '35.10.21.2001')).toBe(true);
      expect(village[0]!.scanned_at > village[1]!.scanned_at).toBe(true);
      const before = await recentScans(rdb, { before: scans[5]!.scannedAt, limit: 100 });
      expect(before.map((r) => r.scan_id).sort()).toEqual(scans.slice(0, 5).map((s) => s.scanId).sort());
      const ids = await storedScanIds(rdb, scans[2]!.scannedAt, scans[7]!.scannedAt);
      expect(ids.sort()).toEqual(scans.slice(2, 7).map((s) => s.scanId).sort());
    } finally {
      await rdb.close();
    }
  });

  it('refuses a schema newer than this build knows, in words', async () => {
    const rdb = await freshDb(engine);
    try {
      await sql`insert into kysely_migration (name, timestamp) values ('9999_from_the_future', '2099-01-01T00:00:00.000Z')`.execute(rdb.db);
      await expect(migrateToLatest(rdb.db, rdb.engine)).rejects.toThrow(SchemaTooNewError);
      await expect(migrateToLatest(rdb.db, rdb.engine)).rejects.toThrow(/newer version.*9999_from_the_future/);
    } finally {
      await rdb.close();
    }
  });
});

describe('scans on sqlite through the insert thread', () => {
  it('the same batch semantics as inline: new rows reported, a redelivery reported with its stored time; readable at once on the main connection', async () => {
    const dir = tempDir('db-thread');
    const rdb = await openDatabase({ sqliteFile: join(dir, 'records.sqlite'), insertThread: true });
    try {
      expect(rdb.insertThread).toBeDefined();
      const scans = Array.from({ length: 30 }, (_, i) => makeScan(i + 1));
      const rows = scans.map((scan) => scanToRow({ scan, receivedAt: scan.scannedAt, eta: scan.scannedAt }, 37.5));
      const first = await insertScans(rdb, rows);
      expect(first.inserted.size).toBe(30);
      const again = await insertScans(rdb, rows.slice(0, 3));
      expect(again.inserted.size).toBe(0);
      expect(again.storedAt.get(scans[1]!.scanId)).toBe(scans[1]!.scannedAt);
      expect(await countScans(rdb)).toBe(30);
    } finally {
      await rdb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
