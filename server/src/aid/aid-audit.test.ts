import { describe, expect, it } from 'vitest';
import { AidAudit } from './aid-audit.ts';

describe('AidAudit', () => {
  it('shows a village its own entries and those of alarms it is involved in, newest first', () => {
    const a = new AidAudit();
    a.add('t1', 'handout', 'op-a', '35.10.21.2001', 'h1', null, 'BLT 2026-11');
    a.add('t2', 'handout', 'op-b', '35.10.21.2002', 'h2', null, 'BLT 2026-11');
    a.add('t3', 'alarm', 'system', '35.10.21.2002', 'h2', 1, 'critical', ['35.10.21.2002', '35.10.21.2001']);
    expect(a.list('35.10.21.2001', 10).map((e) => e.at)).toEqual(['t3', 't1']);
    expect(a.list('35.10.21.2003', 10)).toEqual([]);
    expect(a.list(null, 2).map((e) => e.seq)).toEqual([3, 2]);
    expect(a.list(null, 1)[0]).not.toHaveProperty('scope');
  });

  it('keeps the newest 10,000 and carries its sequence through a snapshot', () => {
    const a = new AidAudit();
    for (let i = 0; i < 11_001; i++) a.add(`t${i}`, 'check', 'op', null, null, null, '');
    const { audit, auditSeq } = a.state();
    expect(audit.length).toBeLessThanOrEqual(11_000);
    expect(audit.at(-1)!.seq).toBe(11_001);
    const b = new AidAudit();
    b.restore(audit, auditSeq);
    b.add('next', 'check', 'op', null, null, null, '');
    expect(b.list(null, 1)[0]!.seq).toBe(11_002);
  });
});
