/**
 * Social aid (bansos) contract: the programmes as data, their periods, handout payloads (HTTP, CSV,
 * MQTT from a distribution-point device) and the double-aid alarm the console receives. Issue 6.
 *
 * A "double" is per programme, per period, per person (NIK) or — for household programmes — per
 * family card (KK), plus forbidden combinations (a BPNT family may not also get BST in the same
 * period). Browser-safe: no Node APIs.
 */
import { z } from 'zod';
import { ID_PATTERN, TOPIC_ROOT } from './topics.ts';
import { IsoDateSchema, NikSchema, PersonNameSchema, UlidSchema, VillageCodeSchema } from './schemas.ts';

import { AID_PROGRAMMES, type AidPeriodKind, type AidProgramme } from './aid-programmes.ts';
export { AID_PROGRAMMES, type AidPeriodKind, type AidUnit, type AidProgramme } from './aid-programmes.ts';

export const AID_PROGRAMME_IDS = AID_PROGRAMMES.map((p) => p.id);

/** `aidProgramme('bst')?.period` → `'monthly'` */
export function aidProgramme(id: string): AidProgramme | undefined {
  return AID_PROGRAMMES.find((p) => p.id === id);
}

/** The programmes that conflict with `id`, both directions. `conflictsOf('bpnt')` → `['bst', 'blt-dd']` */
export function conflictsOf(id: string): string[] {
  const own = aidProgramme(id)?.conflicts ?? [];
  const back = AID_PROGRAMMES.filter((p) => p.conflicts.includes(id)).map((p) => p.id);
  return [...new Set([...own, ...back])].filter((x) => x !== id);
}

/** `periodOf('monthly', '2026-11-28')` → `'2026-11'`; quarterly → `'2026-Q4'`; yearly → `'2026'`. */
export function periodOf(kind: AidPeriodKind, date: string): string {
  const y = date.slice(0, 4);
  const m = Number(date.slice(5, 7));
  if (kind === 'monthly') return `${y}-${date.slice(5, 7)}`;
  if (kind === 'quarterly') return `${y}-Q${Math.ceil(m / 3)}`;
  return y;
}

/** A compact period number for the index (fits 16 bits until 2100). `periodIndex('monthly', '2026-11-28')` → 322 */
export function periodIndex(kind: AidPeriodKind, date: string): number {
  const y = Number(date.slice(0, 4)) - 2000;
  const m = Number(date.slice(5, 7));
  if (kind === 'monthly') return y * 12 + (m - 1);
  if (kind === 'quarterly') return y * 4 + Math.floor((m - 1) / 3);
  return y;
}

/**
 * Name normalisation for "possible double" matching: upper case, accents and punctuation dropped,
 * common honorifics removed, spaces collapsed. `normaliseName(' h. Siti  Aminah, S.Pd ')` → `'SITI AMINAH'`
 */
export function normaliseName(name: string): string {
  // Academic degrees follow a comma on Indonesian documents ("Siti Aminah, S.Pd"): drop them.
  const plain = name.split(',')[0]!.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toUpperCase();
  const words = plain.replace(/[^A-Z0-9 ]+/g, ' ').split(/\s+/).filter(Boolean);
  const titles = new Set(['H', 'HJ', 'IR', 'DR', 'DRS', 'SPD', 'SH', 'SE', 'ST', 'AMD', 'SKM', 'SKEP', 'SAG', 'SSOS', 'MM', 'MPD', 'BPK', 'IBU']);
  return words.filter((w) => !titles.has(w) && !/^S\d?$/.test(w)).join(' ');
}

const KkSchema = z.string().regex(/^\d{16}$/, 'KK must be 16 digits');

/** One handout as an officer or device reports it. `handoutId` is made where the handout happens, so a redelivery is recognised. */
export const HandoutInputSchema = z.strictObject({
  handoutId: UlidSchema,
  programmeId: z.enum(AID_PROGRAMME_IDS as [string, ...string[]]),
  nik: NikSchema,
  kk: KkSchema,
  name: PersonNameSchema,
  birthDate: IsoDateSchema,
  villageCode: VillageCodeSchema,
  /** Day of the handout (WIB calendar date): selects the period. */
  date: IsoDateSchema,
});
export type HandoutInput = z.infer<typeof HandoutInputSchema>;

/** A check before handing out: no handoutId yet. */
export const AidCheckSchema = HandoutInputSchema.omit({ handoutId: true }).extend({ name: PersonNameSchema.optional(), birthDate: IsoDateSchema.optional(), kk: KkSchema.optional() });
export type AidCheckInput = z.infer<typeof AidCheckSchema>;

/** MQTT from a distribution-point device: a handout plus its device identity. */
export const AidDeviceHandoutSchema = HandoutInputSchema.extend({ v: z.literal(1), deviceId: z.string().regex(ID_PATTERN) });
export type AidDeviceHandout = z.infer<typeof AidDeviceHandoutSchema>;

export type AidTopicKind = 'aid' | 'aid-result';
/** `villageDeviceTopic('35.10.21.2001', 'pos-01', 'aid')` → `sk/v1/villages/35.10.21.2001/devices/pos-01/aid` */
export function villageDeviceTopic(villageCode: string, deviceId: string, kind: AidTopicKind): string {
  if (!VillageCodeSchema.safeParse(villageCode).success) throw new Error(`invalid village code: ${JSON.stringify(villageCode)}`);
  if (!ID_PATTERN.test(deviceId)) throw new Error(`invalid device id: ${JSON.stringify(deviceId)}`);
  return `${TOPIC_ROOT}/villages/${villageCode}/devices/${deviceId}/${kind}`;
}
export const AID_SUBSCRIPTION = `${TOPIC_ROOT}/villages/+/devices/+/aid`;

/** `parseVillageDeviceTopic('sk/v1/villages/35.10.21.2001/devices/pos-01/aid')` → `{ villageCode, deviceId, kind: 'aid' }`, else null. */
export function parseVillageDeviceTopic(topic: string): { villageCode: string; deviceId: string; kind: AidTopicKind } | null {
  const p = topic.split('/');
  if (p.length !== 7 || `${p[0]}/${p[1]}` !== TOPIC_ROOT || p[2] !== 'villages' || p[4] !== 'devices') return null;
  const [, , , villageCode, , deviceId, kind] = p as [string, string, string, string, string, string, string];
  if (!VillageCodeSchema.safeParse(villageCode).success || !ID_PATTERN.test(deviceId)) return null;
  if (kind !== 'aid' && kind !== 'aid-result') return null;
  return { villageCode, deviceId, kind };
}

export type AidMatchKind = 'same_nik' | 'same_kk' | 'conflict' | 'possible_double';
export type AidSeverity = 'critical' | 'major' | 'minor';

/** An earlier handout that makes this one a (possible) double. No NIK/KK: only where, when, what. */
export interface AidMatch {
  kind: AidMatchKind;
  severity: AidSeverity;
  programmeId: string;
  period: string;
  villageCode: string;
  villageName: string | null;
  /** When the earlier handout was recorded (ISO instant). */
  at: string;
  /** The earlier handout (its id), when known. */
  handoutId: string | null;
}

export interface AidCheckResult { ok: boolean; matches: AidMatch[] }

export type AidRecordStatus = 'recorded' | 'redelivered' | 'double';
export interface AidRecordResult { status: AidRecordStatus; handoutId: string; matches: AidMatch[]; alarmId: number | null }

/** MQTT reply to a device on `…/aid-result`. */
export interface AidDeviceResult extends AidRecordResult { v: 1 }

export type AidResolution = { action: 'cancel'; reason: string } | { action: 'confirm'; reason: string };

/** The alarm on every involved village's dashboard and the command centre. */
export interface AidAlarm {
  id: number;
  severity: AidSeverity;
  handoutId: string;
  programmeId: string;
  period: string;
  villageCode: string;
  villageName: string | null;
  /** Recipient as the officers need to find them: masked NIK and name (not for the logs). */
  nikMasked: string;
  name: string;
  matches: AidMatch[];
  /** Every village involved: the rooms that got this alarm. */
  villages: string[];
  raisedAt: string;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
  resolution: (AidResolution & { by: string; at: string }) | null;
}

export const AidResolveSchema = z.strictObject({ action: z.enum(['cancel', 'confirm']), reason: z.string().trim().min(3).max(500) });

export interface AidAuditEntry {
  seq: number;
  at: string;
  type: 'check' | 'handout' | 'redelivered' | 'alarm' | 'ack' | 'resolve' | 'import';
  by: string;
  villageCode: string | null;
  handoutId: string | null;
  alarmId: number | null;
  detail: string;
}

/** CSV bulk import: header line, then one handout per line. The handoutId column is optional (a stable one is derived). */
export const AID_CSV_COLUMNS = ['handoutId', 'programmeId', 'nik', 'kk', 'name', 'birthDate', 'villageCode', 'date'] as const;
export interface AidImportReport { imported: number; redelivered: number; doubles: number; errors: { line: number; reason: string }[] }
