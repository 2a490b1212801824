import { describe, expect, it } from 'vitest';
import { AlertBook, joinAlert, type AlertRecord } from './alert-book.ts';
import type { AlertCandidate } from './rules.ts';

const fever: AlertCandidate = { rule: 'fever', key: 'fever|p1', subject: 's1', severity: 'major', title: 'Demam', text: 't', checkpointId: 'ketapang' };

/** Two instances' books wired to each other as ServerCluster does (every local change → the other's merge). */
function pair(): [AlertBook, AlertBook] {
  const books: AlertBook[] = [];
  const share = (from: number) => (r: AlertRecord) => books[1 - from]!.merge(structuredClone(r));
  books.push(new AlertBook({ onRecord: share(0) }), new AlertBook({ onRecord: share(1) }));
  books[0]!.useIds(1_000_000_001);
  books[1]!.useIds(2_000_000_001);
  return books as [AlertBook, AlertBook];
}

describe('alert books of two instances (cluster mode)', () => {
  it('an alert raised on A is listed on B with the same id; ack on B and clear on A show on both', () => {
    const [a, b] = pair();
    const { alert } = a.raise(fever);
    expect(alert.id).toBe(1_000_000_001);
    expect(b.get(alert.id)?.state).toBe('active');
    b.acknowledge(alert.id, 'desa-1');
    expect(a.get(alert.id)).toMatchObject({ state: 'acknowledged', ackedBy: 'desa-1' });
    a.clear(alert.id, 'pusat');
    expect(b.get(alert.id)).toMatchObject({ state: 'cleared', ackedBy: 'desa-1', clearedBy: 'pusat' });
    expect([a.isOpen(fever.key), b.isOpen(fever.key)]).toEqual([false, false]);
  });

  it('ids from the two blocks never collide', () => {
    const [a, b] = pair();
    const ids = [a.raise(fever).alert.id, b.raise({ ...fever, key: 'fever|p2' }).alert.id];
    expect(new Set(ids).size).toBe(2);
  });

  it('a repeat on B after the lease moved folds into the alert A raised (one active alert per key)', () => {
    const [a, b] = pair();
    const first = a.raise(fever);
    const again = b.raise(fever);
    expect(again).toMatchObject({ created: false, alert: { id: first.alert.id, count: 2 } });
    expect(a.get(first.alert.id)?.count).toBe(2);
  });

  it('crossing changes converge: join is order-independent and states only move forward', () => {
    const base: AlertRecord = { ...fever, id: 7, state: 'active', count: 1, startedAt: '2026-11-28T01:00:00.000Z', lastSeenAt: '2026-11-28T01:00:00.000Z' };
    const repeated: AlertRecord = { ...base, count: 2, lastSeenAt: '2026-11-28T01:05:00.000Z' };
    const acked: AlertRecord = { ...base, state: 'acknowledged', ackedBy: 'desa-1', ackedAt: '2026-11-28T01:04:00.000Z' };
    const ab = joinAlert(repeated, acked);
    expect(ab).toEqual(joinAlert(acked, repeated));
    expect(ab).toMatchObject({ state: 'acknowledged', count: 2, ackedBy: 'desa-1', lastSeenAt: '2026-11-28T01:05:00.000Z' });
  });
});
