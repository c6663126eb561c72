/** A tf.io handler for a model folder on disk (`model.json` + `weights.bin`). Node only. */
import {promises as fs} from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {joinModelJson, splitModelJson} from './model-io.ts';

export function fileHandler(target: string): tf.io.IOHandler {
  const dir = target.endsWith('.json') ? path.dirname(target) : target;
  const jsonPath = target.endsWith('.json') ? target : path.join(dir, 'model.json');
  return {
    async save(artifacts) {
      await fs.mkdir(dir, {recursive: true});
      const {json, weights} = splitModelJson(artifacts);
      // Write-then-rename each file: never a half-written file; a mismatched pair is caught by the version hash on load.
      await writeAtomic(path.join(dir, 'weights.bin'), Buffer.from(weights));
      await writeAtomic(jsonPath, json);
      return {modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts)};
    },
    async load() {
      const json = await fs.readFile(jsonPath, 'utf8').catch(() => {
        throw new Error(`no model at ${jsonPath}`);
      });
      const manifest = (JSON.parse(json) as {weightsManifest: tf.io.WeightsManifestConfig}).weightsManifest;
      const buffers = await Promise.all(
        manifest.flatMap((group) => group.paths.map((p) => fs.readFile(path.join(path.dirname(jsonPath), p)))),
      );
      return joinModelJson(json, buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer));
    },
  };
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}
