/**
 * Answers remembered per owner object (e.g. one region lookup): `memo(owner, key, compute)` computes
 * once per (owner, key). Bounded: past `max` keys an owner's answers are forgotten and refilled. The
 * owner's answers must not change while it is in use (static data like the Kemendagri codes).
 */
export function memoPerOwner<O extends object, V>(max: number): (owner: O, key: string, compute: () => V) => V {
  const byOwner = new WeakMap<O, Map<string, V>>();
  return (owner, key, compute) => {
    let answers = byOwner.get(owner);
    if (!answers) byOwner.set(owner, (answers = new Map()));
    let v = answers.get(key);
    if (v === undefined) {
      v = compute();
      if (answers.size >= max) answers.clear();
      answers.set(key, v);
    }
    return v;
  };
}
