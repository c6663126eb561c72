/** Vite's `?inline` CSS imports: the stylesheet as a string, for a shadow root's styles. */
declare module '*.css?inline' {
  const css: string;
  export default css;
}
