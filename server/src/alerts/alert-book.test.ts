import { describe, expect, it } from 'vitest';
import { AlertBook } from './alert-book.ts';
import type { AlertCandidate } from './rules.ts';

const alert = (n: number): AlertCandidate => ({ rule: 'fever', key: `fever|p${n}`, subject: `s${n}`, severity: 'major', title: 'Demam', text: 't', checkpointId: 'ketapang' });

describe('alert book history bound', () => {
  it('keeps every open alert, and forgets the alerts cleared longest ago once over the bound', () => {
    const book = new AlertBook({ maxKept: 3 });
    const ids = [1, 2, 3, 4, 5].map((n) => book.raise(alert(n)).alert.id);
    expect(ids.map((id) => book.get(id)?.state)).toEqual(['active', 'active', 'active', 'active', 'active']); // open: all kept
    book.clear(ids[3]!, 'pusat');
    book.clear(ids[1]!, 'pusat'); // over the bound: #4 was cleared first, so it goes first, then #2
    expect(ids.map((id) => book.get(id)?.state)).toEqual(['active', undefined, 'active', undefined, 'active']);
    book.clear(ids[0]!, 'pusat');
    book.raise(alert(6));
    expect(book.list().map((a) => a.subject)).toEqual(['s6', 's5', 's3']);
  });
});
