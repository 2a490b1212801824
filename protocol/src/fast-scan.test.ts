/**
 * The fast path must agree with zod: whenever it answers, zod accepts the same input with the same
 * output (values, trimming, key order). Generated from a seeded PRNG so a failure is reproducible.
 */
import { describe, expect, it } from 'vitest';
import { SAMPLE_SCAN } from './testing.ts';
import { fastScan } from './fast-scan.ts';
import { ScanSchema, SYMPTOMS, type Scan } from './schemas.ts';

function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const good: Scan = structuredClone(SAMPLE_SCAN);

// Values that sit on or next to a boundary of some field, or are the wrong type altogether.
const WEIRD: unknown[] = [
  undefined, null, true, 0, -0, 1, 1.5, -1, 2, 5, 6, 29.999, 30, 45, 45.0001, NaN, Infinity, -Infinity,
  Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 53 + 2, 1e300, '', ' ', '1', 'L', 'P', 'l', 'x',
  [], ['demam'], ['demam', 'demam'], [...SYMPTOMS], [...SYMPTOMS, 'demam'], ['flu'], [1], [null], {}, { a: 1 },
  'negatif', 'positif', 'tidak_dites', 'Negatif', 'ketapang', 'Ketapang', '-ab', 'a'.repeat(32), 'a'.repeat(33),
  '01JD000000000000000000000I', '01JD00000000000000000000000', '01jd0000000000000000000000',
  '2026-11-28T01:02:03.456Z', '2026-11-28T01:02:03Z', '2026-02-29T00:00:00.000Z', '2024-02-29T23:59:59.999Z',
  '2026-11-28T24:00:00.000Z', '2026-11-28T01:02:03.456+07:00', '2026-13-01T00:00:00.000Z',
  '3510214107900001', '351021410790000', '35102141079000011', '３５１０２１４１０７９０００01', '351021410790000a',
  '1990-07-01', '1990-7-01', '99-07-01', '35.10.21.1001', '35.10.21.100', '35-10-21-1001',
  'a'.repeat(100), ` ${'a'.repeat(100)} `, 'a'.repeat(101), 'b'.repeat(200), 'b'.repeat(201), `\t${'b'.repeat(200)}\n`,
  '  Budi  ', '\u00a0Budi\u3000', '\ufeffBudi', 'Bu\u0000di', 'Bu\ndi', 'Bu\u007fdi', 'Bu\u0085di', 'Bu\u2028di',
  'bu-rina', 'Bu-Rina', 'bu rina', 'x'.repeat(33),
  ' \n ', 'Ñoño Ŵ 李 😀', '\ud800', 'Budi, "x"=1 y\\z', '<img src=x>', '\n Budi \t',
];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

/** A random valid-ish scan: every field drawn from good values, with random whitespace and symptoms. */
function validish(r: () => number): Record<string, unknown> {
  const pad = () => pick(r, ['', ' ', '\t', '\n', '\u00a0', '  ']);
  // Half are v2 scans naming their officer (issue 16).
  const version = r() < 0.5 ? {} : { v: 2, officer: pick(r, ['bu-rina', 'petugas-07', 'a', 'x'.repeat(32)]) };
  return {
    ...good,
    ...version,
    seq: 1 + Math.floor(r() * 1e6),
    name: pad() + pick(r, ['Siti', 'I Wayan Sudarsana', 'Ñoño 李', 'x'.repeat(100), 'Budi Santoso']) + pad(),
    originAddress: pad() + pick(r, ['', 'Jl. X 1', 'b'.repeat(200)]) + pad(),
    sex: pick(r, ['L', 'P']),
    health: {
      temperatureC: 30 + Math.round(r() * 1500) / 100,
      symptoms: SYMPTOMS.filter(() => r() < 0.3),
      rapidTest: pick(r, ['negatif', 'positif', 'tidak_dites']),
      vaccinationDoses: Math.floor(r() * 6),
    },
    // A quarter stamped by a clock the device could not trust (issue 17), the flag last in the input.
    ...(r() < 0.25 ? { untrustedTime: true } : {}),
  };
}

const KEYS = [...Object.keys(good), 'officer', 'untrustedTime'];
const HEALTH_KEYS = Object.keys(good.health);

/** One to three random mutations: a field set to a weird value, a key removed, an extra key, a reorder. */
function mutate(r: () => number, o: Record<string, unknown>): unknown {
  const h = { ...(o.health as Record<string, unknown>) };
  const out: Record<string, unknown> = { ...o, health: h };
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const target = r() < 0.3 ? h : out;
    const keys = target === h ? HEALTH_KEYS : KEYS;
    const what = r();
    if (what < 0.7) target[pick(r, keys)] = pick(r, WEIRD);
    else if (what < 0.8) delete target[pick(r, keys)];
    else if (what < 0.9) target[pick(r, ['extra', 'constructor', 'toString', '__proto__', 'Nik'])] = 1;
    else return JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(out).reverse())));
  }
  return out;
}

/** Agreement: fast path either abstains or matches zod exactly (JSON text compares key order too). */
function agree(input: unknown): 'fast' | 'zod' {
  const fast = fastScan(input);
  const zod = ScanSchema.safeParse(input);
  if (fast === undefined) return 'zod';
  expect(zod.success, `zod rejects what the fast path took: ${JSON.stringify(input)}`).toBe(true);
  if (zod.success) {
    expect(fast).toStrictEqual(zod.data);
    expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
    expect(Object.is(fast.health.vaccinationDoses, zod.data.health.vaccinationDoses)).toBe(true);
  }
  return 'fast';
}

describe('fastScan agrees with ScanSchema', () => {
  it('takes the good scan itself, as a fresh object', () => {
    const out = fastScan(good);
    expect(out).toStrictEqual(good);
    expect(out).not.toBe(good);
    expect(out?.health.symptoms).not.toBe(good.health.symptoms);
  });

  it('on 5,000 generated valid scans, answering every one', () => {
    const r = prng(1);
    for (let i = 0; i < 5000; i++) {
      const s = validish(r);
      expect(agree(s)).toBe('fast');
      expect(agree(JSON.parse(JSON.stringify(s)))).toBe('fast');
    }
  });

  it('on 20,000 mutated scans (wrong types, missing and extra keys, boundaries, whitespace, unicode)', () => {
    const r = prng(2);
    let fast = 0;
    let zodOnly = 0;
    for (let i = 0; i < 20_000; i++) {
      const m = mutate(r, validish(r));
      if (agree(m) === 'fast') fast++;
      else zodOnly++;
      agree(JSON.parse(JSON.stringify(m) ?? 'null'));
    }
    // Both sides were exercised: some mutations keep a scan valid, most make it invalid.
    expect(fast).toBeGreaterThan(100);
    expect(zodOnly).toBeGreaterThan(1000);
  });

  it.each([
    ['a class instance', Object.assign(new (class Scanish {})(), good)],
    ['an object with an inherited key', Object.assign(Object.create({ extra: 1 }), good)],
    ['an own __proto__ key from JSON', JSON.parse(JSON.stringify(good).replace('{', '{"__proto__":1,'))],
    ['a sparse symptom list', { ...good, health: { ...good.health, symptoms: new Array(2) } }],
    ['a null-prototype copy', Object.assign(Object.create(null), good)],
    ['not an object', 'scan'],
    ['an array', [good]],
    ['a v2 scan with its officer', { ...good, v: 2, officer: 'bu-rina' }],
    ['a v2 scan without an officer', { ...good, v: 2 }],
    ['a v1 scan naming an officer', { ...good, officer: 'bu-rina' }],
    ['a v1 scan with officer: undefined', { ...good, officer: undefined }],
    ['a scan with untrusted time', { ...good, untrustedTime: true }],
    ['a v2 scan with untrusted time', { ...good, v: 2, officer: 'bu-rina', untrustedTime: true }],
    ['untrustedTime: false', { ...good, untrustedTime: false }],
    ['untrustedTime: undefined', { ...good, untrustedTime: undefined }],
    ['untrustedTime: "true"', { ...good, untrustedTime: 'true' }],
  ])('on %s', (_, input) => {
    agree(input);
  });
});

describe('scan versions (issue 16)', () => {
  it('a v1 scan (older devices) and a v2 scan with its officer both pass; mixing them does not', () => {
    expect(ScanSchema.safeParse(good).success).toBe(true);
    expect(ScanSchema.safeParse({ ...good, v: 2, officer: 'bu-rina' }).success).toBe(true);
    expect(fastScan({ ...good, v: 2, officer: 'bu-rina' })?.officer).toBe('bu-rina');
    expect(ScanSchema.safeParse({ ...good, v: 2 }).success).toBe(false);
    expect(ScanSchema.safeParse({ ...good, officer: 'bu-rina' }).success).toBe(false);
    expect(ScanSchema.safeParse({ ...good, v: 2, officer: 'Bu Rina' }).success).toBe(false);
  });
});
