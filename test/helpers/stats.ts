/** Mean and (population) standard deviation of the values, for tests that check noise levels. */
export function meanStd(a: ArrayLike<number>): [number, number] {
  let s = 0, s2 = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const m = s / a.length;
  for (let i = 0; i < a.length; i++) s2 += (a[i] - m) ** 2;
  return [m, Math.sqrt(s2 / a.length)];
}
