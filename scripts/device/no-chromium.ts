// Stands in for playwright-core in the device kit, which carries no browser: `--browser` says so in words.
const refuse = () => {
  throw new Error('this device kit has no Chromium: run without --browser (WebGPU through Dawn, or wasm)');
};

export const chromium = {launch: refuse};
export type Browser = never;
export type Page = never;
