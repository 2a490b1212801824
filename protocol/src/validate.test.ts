import { describe, expect, it } from 'vitest';
import { SAMPLE_IDENTITY, SAMPLE_SCAN } from './testing.ts';
import { healthStatus, MAX_PAYLOAD_BYTES, toRanges, type Scan } from './schemas.ts';
import { checkScanInput, checkScanPayload } from './validate.ts';

const good: Scan = structuredClone(SAMPLE_SCAN);
const id = SAMPLE_IDENTITY;
const json = (o: unknown) => JSON.stringify(o);

describe('checkScanPayload', () => {
  it('accepts a good scan and decodes its NIK and village', () => {
    const r = checkScanPayload(json(good), id);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.nik.districtName).toBe('Kalipuro');
      expect(r.village.districtCode).toBe('35.10.21');
    }
  });

  it.each([
    ['a name with line-protocol characters', 'Budi, "x"=1 y\\z'],
    ['a name with HTML', '<img src=x onerror=alert(1)>'],
    ['a Balinese name with a diacritic', 'I Wayan Sudarsana'],
  ])('keeps %s as text', (_, name) => {
    const r = checkScanPayload(json({ ...good, name }), id);
    expect(r.ok && r.value.name).toBe(name);
  });

  it.each([
    ['too_large', 'x'.repeat(MAX_PAYLOAD_BYTES + 1)],
    ['too_large', json({ ...good, name: 'x'.repeat(1024 * 1024) })],
    ['not_json', '{"v":1,'],
    ['not_json', ''],
    ['schema', json(null)],
    ['schema', json([])],
    ['schema', json({ ...good, v: 2 })],
    ['schema', json({ ...good, seq: '1' })],
    ['schema', json({ ...good, seq: 0 })],
    ['schema', json({ ...good, seq: 1.5 })],
    ['schema', json({ ...good, nik: 3510214107900001 })],
    ['schema', json({ ...good, name: 'Budi\nDROP' })],
    ['schema', json({ ...good, name: '' })],
    ['schema', json({ ...good, name: '   ' })],
    ['schema', json({ ...good, scanId: 'not-a-ulid' })],
    ['schema', json({ ...good, scannedAt: 'yesterday' })],
    ['schema', json({ ...good, health: { ...good.health, temperatureC: 'hot' } })],
    ['schema', json({ ...good, health: { ...good.health, temperatureC: 99 } })],
    ['schema', json({ ...good, health: { ...good.health, symptoms: ['zombie'] } })],
    ['schema', json({ ...good, extra: 'field' })],
    ['schema', json({ ...good, destinationVillageCode: '35.10.21' })],
    ['invalid_nik', json({ ...good, nik: '9910214107900001' })],
    ['nik_mismatch', json({ ...good, sex: 'L' })],
    ['nik_mismatch', json({ ...good, birthDate: '1990-07-02' })],
    ['unknown_village', json({ ...good, destinationVillageCode: '35.09.01.2001' })],
  ])('rejects with reason %s', (reason, payload) => {
    const r = checkScanPayload(payload, id);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.message).not.toContain('3510214107900001'); // no NIK in a reason (reasons reach logs)
    }
  });

  it('rejects a payload that claims another device than its topic', () => {
    expect(checkScanPayload(json(good), { checkpointId: 'ketapang', deviceId: 'ketapang-02' })).toMatchObject({ ok: false, reason: 'topic_mismatch' });
    expect(checkScanPayload(json(good), { checkpointId: 'kalibaru', deviceId: 'ketapang-01' })).toMatchObject({ ok: false, reason: 'topic_mismatch' });
  });

  it('accepts bytes as well as strings', () => {
    expect(checkScanPayload(Buffer.from(json(good)), id).ok).toBe(true);
  });
});

describe('checkScanInput', () => {
  it('gives the officer the NIK reason', () => {
    const { v, scanId, checkpointId, deviceId, seq, scannedAt, ...input } = good;
    expect(checkScanInput(input).ok).toBe(true);
    expect(checkScanInput({ ...input, nik: '3510213202850002' })).toMatchObject({ ok: false, reason: 'invalid_nik' });
    expect(checkScanInput({ ...input, seq })).toMatchObject({ ok: false, reason: 'schema' });
  });
});

describe('health status and ack ranges', () => {
  const h = good.health;
  it.each([
    [{ ...h }, 'sehat'],
    [{ ...h, symptoms: ['batuk' as const] }, 'gejala'],
    [{ ...h, temperatureC: 37.5 }, 'demam'],
    [{ ...h, temperatureC: 37.4, symptoms: ['batuk' as const] }, 'gejala'],
    [{ ...h, temperatureC: 39, rapidTest: 'positif' as const }, 'positif'],
  ])('%j → %s', (screening, status) => {
    expect(healthStatus(screening)).toBe(status);
  });

  it('compresses sequence numbers into ranges', () => {
    expect(toRanges([])).toEqual([]);
    expect(toRanges([5, 1, 2, 3, 3, 7, 8, 10])).toEqual([[1, 3], [5, 5], [7, 8], [10, 10]]);
  });
});
