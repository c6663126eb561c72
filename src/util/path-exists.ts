/** Whether a file or folder exists. Node only. */
import {promises as fs} from 'node:fs';

export function pathExists(p: string): Promise<boolean> {
  return fs.access(p).then(
    () => true,
    () => false,
  );
}
