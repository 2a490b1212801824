import { describe, expect, it } from 'vitest';
import { doubleMatches, periodsOf, severityOf, type DoubleQuery, type EarlierHandout } from './double-rules.ts';

const row = (o: Partial<EarlierHandout> & Pick<EarlierHandout, 'handout_id' | 'programme_id' | 'period'>): EarlierHandout => ({
  village_code: '35.10.01.2001', person_key: 'p-other', household_key: null, name_dob_key: null, handed_at: '2026-11-02T01:00:00.000Z', ...o,
});
const q = (o: Partial<DoubleQuery> = {}): DoubleQuery => ({ programmeId: 'bst', date: '2026-11-28', personKey: 'p1', householdKey: 'k1', nameKey: 'n1', handoutId: 'me', ...o });

describe('what makes a handout a double', () => {
  it.each([
    ['same NIK, programme and period', row({ handout_id: 'a', programme_id: 'bst', period: '2026-11', person_key: 'p1' }), [['same_nik', 'critical']]],
    ['same KK in a household programme', row({ handout_id: 'a', programme_id: 'bst', period: '2026-11', household_key: 'k1' }), [['same_kk', 'critical']]],
    ['a forbidden combination by KK (BPNT after BST)', row({ handout_id: 'a', programme_id: 'bpnt', period: '2026-11', household_key: 'k1' }), [['conflict', 'major']]],
    ['same name and birth date under another NIK', row({ handout_id: 'a', programme_id: 'bst', period: '2026-11', name_dob_key: 'n1' }), [['possible_double', 'minor']]],
    ['another period', row({ handout_id: 'a', programme_id: 'bst', period: '2026-10', person_key: 'p1' }), []],
    ['a programme that does not conflict', row({ handout_id: 'a', programme_id: 'bansos-bwi', period: '2026-11', person_key: 'p1' }), []],
    ['the handout itself (a redelivery is not its own double)', row({ handout_id: 'me', programme_id: 'bst', period: '2026-11', person_key: 'p1' }), []],
    ['the same person is no "other NIK" (same NIK only)', row({ handout_id: 'a', programme_id: 'bst', period: '2026-11', person_key: 'p1', name_dob_key: 'n1' }), [['same_nik', 'critical']]],
  ])('%s', (_what, earlier, want) => {
    expect(doubleMatches(q(), [earlier]).map((m) => [m.kind, m.severity])).toEqual(want);
  });

  it('reports an earlier handout once, for its strongest reason, and says where and when', () => {
    const e = row({ handout_id: 'a', programme_id: 'bst', period: '2026-11', person_key: 'p1', household_key: 'k1', village_code: '35.10.02.2002' });
    expect(doubleMatches(q(), [e])).toEqual([{ kind: 'same_nik', severity: 'critical', programmeId: 'bst', period: '2026-11', villageCode: '35.10.02.2002', at: e.handed_at, handoutId: 'a' }]);
  });

  it('without a KK a household conflict is looked up by NIK; a quarterly programme in its quarter', () => {
    const pkh = row({ handout_id: 'a', programme_id: 'pkh', period: '2026-Q4', person_key: 'p1' });
    expect(doubleMatches(q({ programmeId: 'blt-dd', householdKey: null }), [pkh]).map((m) => [m.kind, m.programmeId, m.period])).toEqual([['conflict', 'pkh', '2026-Q4']]);
    expect(periodsOf('blt-dd', '2026-11-28').sort()).toEqual(['2026-11', '2026-Q4']);
  });

  it('the alarm takes the strongest severity', () => {
    expect(severityOf([{ severity: 'minor' }, { severity: 'major' }])).toBe('major');
    expect(severityOf([{ severity: 'minor' }])).toBe('minor');
  });
});
