// Browser unit tests: test/browser/*.test.ts, bundled by scripts/browser-tests.js into .cache/browser-tests/
// (web-test-runner cannot serve tfjs's CommonJS dependencies itself), run in Debian's Chromium with WebGPU.
import {chromeLauncher} from '@web/test-runner-chrome';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default {
  files: ['.cache/browser-tests/**/*.test.js'],
  nodeResolve: false,
  concurrency: 1,
  testsFinishTimeout: 300_000,
  testFramework: {config: {timeout: 120_000}},
  browsers: [
    chromeLauncher({
      launchOptions: {
        executablePath,
        headless: true,
        args: [
          '--no-sandbox',
          '--enable-unsafe-webgpu',
          '--enable-unsafe-swiftshader',
          '--disable-background-networking',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      },
    }),
  ],
};
