/**
 * Hostile and malformed scan payloads, as a broken or compromised device might publish them. PURE:
 * each comes with the scanId it claims (if any) so the run can prove none of them was stored.
 */
import { MAX_PAYLOAD_BYTES, type Scan } from '@sk/protocol';

export interface HostilePayload {
  kind: string;
  payload: string;
  /** The scanId it carries, if it carries a well-formed one (must never show up as stored). */
  scanId?: string;
}

/** `hostilePayloads(validScan, otherScanId)` → one payload per kind; `base` is a valid scan for this device. */
export function hostilePayloads(base: Scan, freshId: () => string): HostilePayload[] {
  const variant = (kind: string, over: Record<string, unknown>): HostilePayload => {
    const scanId = freshId();
    return { kind, payload: JSON.stringify({ ...base, scanId, ...over }), scanId };
  };
  return [
    { kind: 'not_json', payload: '{"v":1,"scanId":' },
    { kind: 'empty', payload: '' },
    { kind: 'too_large', payload: JSON.stringify({ ...base, scanId: freshId(), name: 'x'.repeat(MAX_PAYLOAD_BYTES) }) },
    variant('bad_nik_checksum_region', { nik: '9910214107900001' }),
    variant('nik_sex_mismatch', { sex: base.sex === 'L' ? 'P' : 'L' }),
    variant('unknown_village', { destinationVillageCode: '35.10.99.9999' }),
    variant('topic_mismatch', { deviceId: 'someone-else' }),
    variant('control_chars', { name: 'Budi\nSANTOSO\u0000' }),
    variant('extra_field', { role: 'command' }),
    variant('fever_out_of_range', { health: { ...base.health, temperatureC: 99 } }),
    variant('seq_not_integer', { seq: 1.5 }),
    variant('wrong_version', { v: 2 }),
    { kind: 'proto_pollution', payload: `{"__proto__":{"admin":true},${JSON.stringify({ ...base, scanId: freshId(), nik: 'x' }).slice(1)}` },
    { kind: 'array', payload: '[1,2,3]' },
  ];
}
