/**
 * The link to a view: the page's own address with the view state in its hash,
 * written as neuroglancer's URL binding writes it (`#!` + the JSON, with the
 * characters some chat and mail programs cut a link at escaped).
 */

/** neuroglancer's encodeFragment (ui/url_hash_binding.js), which it does not export. */
function encodeFragment(fragment: string): string {
  return encodeURI(fragment).replace(/[!'()*;,]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function viewLink(pageUrl: string, state: unknown): string {
  const json = JSON.stringify(state, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  return `${pageUrl.replace(/#.*$/, '')}#!${encodeFragment(json)}`;
}

/** The state a link holds (the inverse of viewLink). */
export function stateOfLink(link: string): unknown {
  const hash = /#!(.*)$/s.exec(link);
  if (!hash) throw new Error(`"${link}" holds no view state (no #! part)`);
  return JSON.parse(decodeURIComponent(hash[1]));
}
