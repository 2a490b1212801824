import { describe, expect, it } from 'vitest';
import { SAMPLE_IDENTITY, SAMPLE_SCAN } from './testing.ts';
import { MAX_PAYLOAD_BYTES, type Scan } from './schemas.ts';
import { batchBytes, checkScanMessage, groupForMessages, joinScanPayloads, MAX_SCANS_PER_MESSAGE } from './scan-batch.ts';

const good: Scan = structuredClone(SAMPLE_SCAN);
const id = SAMPLE_IDENTITY;
const scan = (seq: number, over: Partial<Scan> = {}): Scan => ({ ...good, seq, scanId: `01JD${String(seq).padStart(22, '0')}`, ...over });
const bytes = (s: string) => Buffer.from(s);

describe('groupForMessages', () => {
  it('packs in order, at most maxScans per group', () => {
    const groups = groupForMessages(Array.from({ length: 70 }, (_, i) => i), () => 10, 32);
    expect(groups.map((g) => g.length)).toEqual([32, 32, 6]);
    expect(groups.flat()).toEqual(Array.from({ length: 70 }, (_, i) => i));
  });

  it.each([
    // [item sizes, maxBytes, expected group sizes]
    [[10, 10, 10], 33, [2, 1]], // batchBytes(3, 30) = 34 > 33
    [[10, 10, 10], 34, [3]],
    [[10, 10], 22, [1, 1]], // batchBytes(2, 20) = 23 > 22
    [[10, 10], 23, [2]],
    [[50, 1, 1], 40, [1, 2]], // an item too big to share goes alone
    [[1], 0, [1]],
  ] as [number[], number, number[]][])('sizes %j within %d bytes → groups %j', (sizes, maxBytes, expected) => {
    const groups = groupForMessages(sizes, (n) => n, 64, maxBytes);
    expect(groups.map((g) => g.length)).toEqual(expected);
    for (const g of groups) if (g.length > 1) expect(batchBytes(g.length, g.reduce((a, b) => a + b, 0))).toBeLessThanOrEqual(maxBytes);
  });

  it('every group of real payloads joins to a message within MAX_PAYLOAD_BYTES that parses back to the same scans', () => {
    const payloads = Array.from({ length: 200 }, (_, i) => bytes(JSON.stringify(scan(i + 1, { name: 'N'.repeat(1 + (i * 37) % 100), originAddress: 'A'.repeat((i * 53) % 200) }))));
    const groups = groupForMessages(payloads, (p) => p.length);
    expect(groups.flat()).toHaveLength(200);
    for (const g of groups) {
      const msg = joinScanPayloads(g);
      expect(msg.byteLength).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
      expect(msg.byteLength).toBe(batchBytes(g.length, g.reduce((n, p) => n + p.length, 0)));
      const back = JSON.parse(Buffer.from(msg).toString('utf8')) as Scan | Scan[];
      expect(Array.isArray(back) ? back.map((s) => s.seq) : [back.seq]).toEqual(g.map((p) => (JSON.parse(p.toString()) as Scan).seq));
    }
  });

  it('one payload is sent as it is, not wrapped', () => {
    const p = bytes(JSON.stringify(good));
    expect(joinScanPayloads([p])).toBe(p);
  });
});

describe('checkScanMessage', () => {
  it('one scan as before', () => {
    const [r, ...rest] = checkScanMessage(bytes(JSON.stringify(good)), id);
    expect(rest).toHaveLength(0);
    expect(r!.result.ok).toBe(true);
    expect(r!.release).toEqual([]);
  });

  it('a batch: each scan checked on its own; the rejected ones name their seq to release', () => {
    const batch = [scan(1), { ...scan(2), nik: '9910210107900001' }, scan(3, { deviceId: 'ketapang-02' }), { ...scan(4), seq: 'x' }, scan(5, { name: 'x=1,y=2 <b>' })];
    const out = checkScanMessage(bytes(JSON.stringify(batch)), id);
    expect(out.map((o) => (o.result.ok ? 'ok' : o.result.reason))).toEqual(['ok', 'invalid_nik', 'topic_mismatch', 'schema', 'ok']);
    expect(out.map((o) => o.release)).toEqual([[], [2], [3], [], []]);
  });

  it.each([
    ['an empty array', '[]', 'schema', []],
    ['more than MAX_SCANS_PER_MESSAGE', JSON.stringify(Array.from({ length: MAX_SCANS_PER_MESSAGE + 1 }, (_, i) => ({ seq: i + 1 }))), 'schema', Array.from({ length: MAX_SCANS_PER_MESSAGE }, (_, i) => i + 1)],
    ['not JSON', '[{"v":1,', 'not_json', []],
    ['a number', '42', 'schema', []],
    ['null', 'null', 'schema', []],
  ])('%s is one rejection', (_, payload, reason, release) => {
    const out = checkScanMessage(bytes(payload as string), id);
    expect(out).toHaveLength(1);
    expect(out[0]!.result).toMatchObject({ ok: false, reason });
    expect(out[0]!.release).toEqual(release);
  });

  it('too large: rejected without checking, but its readable seqs are released', () => {
    const big = bytes(JSON.stringify([{ ...scan(7), name: 'x'.repeat(MAX_PAYLOAD_BYTES) }]));
    const out = checkScanMessage(big, id);
    expect(out).toEqual([{ result: { ok: false, reason: 'too_large', message: expect.stringContaining('B >') }, release: [7] }]);
    expect(checkScanMessage(Buffer.alloc(2 * 1024 * 1024, 'a'), id)[0]).toMatchObject({ result: { reason: 'too_large' }, release: [] });
  });

  it('reads a payload that is a view into a larger buffer (as mqtt.js hands them over)', () => {
    const inner = bytes(JSON.stringify([scan(1), scan(2)]));
    const outer = Buffer.concat([Buffer.from('garbage['), inner, Buffer.from(']]garbage')]);
    const view = outer.subarray(8, 8 + inner.length);
    expect(checkScanMessage(view, id).map((o) => o.result.ok)).toEqual([true, true]);
  });
});

describe('scan versions at the server (issue 16)', () => {
  it('checkScanMessage takes a v1 scan, a v2 scan with its officer, and a batch mixing them', () => {
    const v1 = { ...SAMPLE_SCAN };
    const v2 = { ...SAMPLE_SCAN, v: 2, seq: 2, officer: 'bu-rina' };
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    for (const payload of [enc(v1), enc(v2), enc([v1, v2])]) {
      for (const r of checkScanMessage(payload, SAMPLE_IDENTITY)) expect(r.result.ok).toBe(true);
    }
    const [bad] = checkScanMessage(enc({ ...SAMPLE_SCAN, v: 2 }), SAMPLE_IDENTITY);
    expect(bad!.result.ok).toBe(false);
  });
});
