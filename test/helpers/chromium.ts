// The tests use the same headless Chromium setup as the CLI's --browser modes.
export {CHROMIUM_ARGS, CHROMIUM_PATH, launchChromium} from '../../src/cli/chromium.ts';
