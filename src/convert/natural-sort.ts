const collator = new Intl.Collator('en', {numeric: true, sensitivity: 'base'});

/** Sorts file names so that `iso.2.png` comes before `iso.10.png`. */
export function naturalSort(names: readonly string[]): string[] {
  return [...names].sort(collator.compare);
}
