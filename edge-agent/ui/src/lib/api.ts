/** The agent's local API (officer/routes.ts). One reply shape: protocol's ApiReply. */
import type { ApiReply, ScanInput } from '@sk/protocol';
import type { KtpReadResult } from '../../../src/ocr/ktp-reader.ts';

export type { KtpReadResult };
export interface NikInfo { provinceName: string; regencyName: string | null; districtName: string | null; birthDate: string; sex: 'L' | 'P'; warnings: string[] }
export interface VillageItem { code: string; name: string; district: string; kind: 'desa' | 'kelurahan' }

async function call<T>(path: string, init?: RequestInit): Promise<ApiReply<T>> {
  try {
    const res = await fetch(path, init);
    return (await res.json()) as ApiReply<T>;
  } catch (e) {
    return { ok: false, error: { code: 'network', message: (e as Error).message } };
  }
}

const json = (method: string, body: unknown): RequestInit => ({ method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

export const api = {
  nik: (nik: string) => call<NikInfo>(`/api/nik?nik=${encodeURIComponent(nik)}`),
  villages: () => call<VillageItem[]>('/api/villages'),
  officer: (officer: string | null) => call<{ officer: string | null }>('/api/officer', json('PUT', { officer })),
  submit: (input: ScanInput) => call<{ scanId: string; seq: number }>('/api/scans', json('POST', input)),
  ocr: (image: Blob) => call<KtpReadResult>('/api/ocr', { method: 'POST', headers: { 'content-type': image.type || 'image/jpeg' }, body: image }),
};
