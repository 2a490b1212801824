import { describe, expect, it } from 'vitest';
import { loadRegions } from '@sk/protocol/regions';
import { cleanName, nikDigits, readKtpText } from './ktp-text.ts';

const regions = loadRegions();
const today = '2026-12-06';
// What tesseract read off a generated card (simulators' `cards`), with its usual slips.
const CARD = `PROVINSI BALI

KABUPATEN BULELENG
NIK :5108054503883172
Nama : NI NYOMAN DEW! ASTITI
Tempat/Tgl Lahir : BULELENG, 05-03-1988
Jenis Kelamin : PEREMPUAN Gol. Darah : A
Alamat : JL. MELATI NO. 125
RT/RW : 001/002
Kel/Desa © KARANGSUKA
Kecamatan : SUKASADA
Agama : ISLAM a
Pekerjaan : WIRASWASTA BULELENG`;

describe('readKtpText', () => {
  it('takes every field of a card and checks the NIK against the card', () => {
    const r = readKtpText(CARD, regions, { today });
    expect(r).toMatchObject({
      nik: '5108054503883172', nikCheck: 'ok', name: 'NI NYOMAN DEWI ASTITI', birthPlace: 'BULELENG',
      birthDate: '1988-03-05', sex: 'P', address: 'JL. MELATI NO. 125, RT/RW 001/002, KARANGSUKA, KEC. SUKASADA',
    });
  });

  it.each([
    ['a NIK with a digit lost', CARD.replace('5108054503883172', '510805450388317'), 'missing'],
    ['an impossible birth date in the NIK', CARD.replace('5108054503883172', '5108059903883172'), 'invalid'],
    ['an unknown province', CARD.replace('5108054503883172', '9908054503883172'), 'invalid'],
    ['a NIK whose birth date differs from the card', CARD.replace('5108054503883172', '5108054603883172'), 'mismatch'],
    ['a NIK of a man on a woman\'s card', CARD.replace('5108054503883172', '5108050503883172'), 'mismatch'],
    ['a NIK from another district than the card says', CARD.replace('5108054503883172', '5108014503883172'), 'uncertain'],
  ])('flags %s, never takes it silently', (_, text, check) => {
    const r = readKtpText(text, regions, { today });
    expect(r.nikCheck).toBe(check);
    expect(r.nikMessage).toBeTruthy();
  });

  it('flags a NIK whose digits the engine was unsure of', () => {
    expect(readKtpText(CARD, regions, { today, nikDigitConfidence: 40 }).nikCheck).toBe('uncertain');
  });

  it('reads look-alike letters as digits in a NIK, and digits as letters in a name', () => {
    expect(nikDigits('51O8O5 45O388317Z')).toBe('5108054503883172');
    expect(cleanName('BUD1 SANT0S0 |')).toBe('BUDI SANTOSO');
  });
});
