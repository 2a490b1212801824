/**
 * One traveller's form, from the NIK to Simpan. The NIK is decoded as soon as it has 16 digits; birth
 * date and sex fill themselves from it, and a disagreement is said in words. Fields read from a card
 * are marked and a flagged NIK needs the officer's explicit confirmation (or retyping) before Simpan.
 */
import type { ScanInput } from '@sk/protocol';
import { api, type KtpReadResult, type NikInfo, type VillageItem } from './api.ts';
import { t } from './i18n.svelte.ts';
import type { MessageKey } from './messages.ts';

export const SYMPTOMS = ['demam', 'batuk', 'pilek', 'sakit_tenggorokan', 'sesak_napas', 'anosmia', 'lemas', 'diare'] as const satisfies readonly ScanInput['health']['symptoms'][number][];
export const RAPID = ['tidak_dites', 'negatif', 'positif'] as const satisfies readonly ScanInput['health']['rapidTest'][];
export const FEVER_C = 37.5;
type Symptom = (typeof SYMPTOMS)[number];

export type FieldError = { field: 'nik' | 'name' | 'village' | 'temperature' | 'doses' | 'confirm' | 'officer' | 'birthDate' | 'sex'; key: MessageKey; params?: Record<string, string> };

export class TravellerForm {
  nik = $state('');
  nikInfo = $state<NikInfo | null>(null);
  nikError = $state<string | null>(null);
  /** The agent's error code for nikError (format, unknown_province, …), for the English text. */
  nikErrorCode = $state<string | null>(null);
  birthDate = $state('');
  sex = $state<'L' | 'P' | ''>('');
  name = $state('');
  address = $state('');
  village = $state<VillageItem | null>(null);
  temperature = $state('');
  doses = $state('');
  rapid = $state<(typeof RAPID)[number]>('tidak_dites');
  symptoms = $state<Record<Symptom, boolean>>(Object.fromEntries(SYMPTOMS.map((s) => [s, false])) as Record<Symptom, boolean>);
  /** Set when the fields came from a card; `nikFlag` when the reader flagged the NIK. */
  fromCard = $state(false);
  nikFlag = $state<string | null>(null);
  /** The reader's check (missing, invalid, mismatch, uncertain), for the English text. */
  nikFlagCode = $state<string | null>(null);
  nikConfirmed = $state(false);
  #nikAsked = '';

  fever = $derived(Number(this.temperature.replace(',', '.')) >= FEVER_C);

  /** Called on every NIK edit: decode at 16 digits. Typing it by hand is itself a confirmation. */
  async onNik(byHand: boolean): Promise<boolean> {
    const nik = this.nik.replace(/\D/g, '');
    if (nik !== this.nik) this.nik = nik;
    if (byHand) { this.nikFlag = null; this.nikFlagCode = null; this.nikConfirmed = false; }
    if (nik.length !== 16) {
      this.nikInfo = null;
      this.nikError = nik.length > 16 ? t('e_nik_format') : null;
      this.nikErrorCode = nik.length > 16 ? 'format' : null;
      return false;
    }
    if (nik === this.#nikAsked && this.nikInfo) return true;
    this.#nikAsked = nik;
    const r = await api.nik(nik);
    if (this.nik !== nik) return false; // typed on meanwhile
    if (!r.ok) {
      this.nikInfo = null;
      this.nikError = r.error.message;
      this.nikErrorCode = r.error.code;
      return false;
    }
    this.nikInfo = r.data;
    this.nikError = null;
    this.nikErrorCode = null;
    // Fill from the NIK unless a card gave its own (then a disagreement is shown in words).
    if (!this.fromCard || !this.birthDate) this.birthDate = r.data.birthDate;
    if (!this.fromCard || !this.sex) this.sex = r.data.sex;
    return true;
  }

  fillFromCard(r: KtpReadResult): void {
    this.fromCard = true;
    this.nik = r.nik ?? '';
    this.name = r.name ?? '';
    this.address = r.address ?? '';
    this.birthDate = r.birthDate ?? '';
    this.sex = r.sex ?? '';
    this.nikFlag = r.nikCheck === 'ok' ? null : (r.nikMessage ?? r.nikCheck);
    this.nikFlagCode = r.nikCheck === 'ok' ? null : r.nikCheck;
    this.nikConfirmed = false;
    this.nikInfo = null;
    this.#nikAsked = '';
    void this.onNik(false);
  }

  /** Problems that keep Simpan from sending, first one first (in words). */
  problems(officer: string | null): FieldError[] {
    const out: FieldError[] = [];
    if (!officer) out.push({ field: 'officer', key: 'e_officer' });
    if (!/^\d{16}$/.test(this.nik)) out.push({ field: 'nik', key: 'e_nik_format' });
    if (this.nikFlag && !this.nikConfirmed) out.push({ field: 'confirm', key: 'e_confirm' });
    if (this.nikInfo && this.birthDate && this.birthDate !== this.nikInfo.birthDate) out.push({ field: 'birthDate', key: 'e_mismatch_birth', params: { d: this.nikInfo.birthDate } });
    if (this.nikInfo && this.sex && this.sex !== this.nikInfo.sex) out.push({ field: 'sex', key: 'e_mismatch_sex', params: { s: t(this.nikInfo.sex === 'L' ? 'sexL' : 'sexP') } });
    if (!this.name.trim()) out.push({ field: 'name', key: 'e_name' });
    if (!this.village) out.push({ field: 'village', key: 'e_village' });
    const temp = Number(this.temperature.replace(',', '.'));
    if (this.temperature.trim() === '' || !(temp >= 30 && temp <= 45)) out.push({ field: 'temperature', key: 'e_temp' });
    if (!/^[0-5]$/.test(this.doses.trim())) out.push({ field: 'doses', key: 'e_doses' });
    return out;
  }

  toInput(officer: string): ScanInput {
    return {
      nik: this.nik,
      name: this.name.trim(),
      sex: (this.sex || this.nikInfo?.sex || 'L') as 'L' | 'P',
      birthDate: this.birthDate || this.nikInfo?.birthDate || '',
      originAddress: this.address.trim(),
      destinationVillageCode: this.village?.code ?? '',
      health: {
        temperatureC: Math.round(Number(this.temperature.replace(',', '.')) * 10) / 10,
        symptoms: SYMPTOMS.filter((s) => this.symptoms[s]),
        rapidTest: this.rapid,
        vaccinationDoses: Number(this.doses),
      },
      officer,
    };
  }

  clear(): void {
    this.nik = ''; this.nikInfo = null; this.nikError = null; this.birthDate = ''; this.sex = '';
    this.name = ''; this.address = ''; this.village = null; this.temperature = ''; this.doses = '';
    this.rapid = 'tidak_dites'; for (const s of SYMPTOMS) this.symptoms[s] = false;
    this.fromCard = false; this.nikFlag = null; this.nikFlagCode = null; this.nikErrorCode = null; this.nikConfirmed = false; this.#nikAsked = '';
  }
}
