// The kit's `ng-isotropic`: the CLI bundled without tsx (bin/ng-isotropic.js runs the sources through tsx).
import {main} from '../../src/cli/main.ts';

await main(process.argv);
