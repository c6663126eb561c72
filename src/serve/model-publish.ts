/**
 * Publishing a trained model to `serve` by HTTP PUT of its two files, in the
 * order `putHandler` in src/model/model-io.ts sends them: weights.bin, then
 * model.json, each to /data/<dataset>/isotropic-models/<name>/ (which paths are
 * accepted: publish-target.ts). Each upload is first admitted against the
 * limits per file and per dataset (publish-limits.ts), then received with that
 * byte limit (request-body.ts) into a temporary file (upload-writer.ts).
 *
 * A replacement is atomic for readers (the folder's layout: model-folder.ts):
 * weights.bin is kept under a name of its content and never overwrites
 * anything; model.json is checked against the weights file on the server that
 * it goes with (model-json-check.ts), made to name that file and renamed into
 * place last. Until then readers get the old model.json and the weights it
 * names; whatever fails in between leaves the old model as it was. The publish
 * token is checked before (server.ts, publish-token.ts). Node only.
 */
import type http from 'node:http';
import {createHash} from 'node:crypto';
import {promises as fs} from 'node:fs';
import path from 'node:path';
import {Refusal, refuse} from './refusal.ts';
import {publishTarget, type PublishTarget} from './publish-target.ts';
import {admitUpload, type PublishLimits, type UploadsInFlight} from './publish-limits.ts';
import {findWeights, parseModelJson, pointingAt} from './model-json-check.ts';
import {contentName, fileSha256, readModelFolder} from './model-folder.ts';
import type {ModelFolders} from './model-folders.ts';
import {readBody, streamBody, type BodyCutShort} from './request-body.ts';
import {placeFile, tempName, type Placed} from './upload-writer.ts';

/** What publishing needs of the server: its limits, the uploads it is receiving, its model folders. */
export interface Publishing {
  limits: PublishLimits;
  uploads: UploadsInFlight;
  folders: ModelFolders;
}

/** Handles one PUT: always answers (201 a new model, 200 a replacement, or a refusal). */
export async function handlePublish(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  dataDir: string,
  rawRel: string,
  publishing: Publishing,
): Promise<void> {
  const {limits, uploads, folders} = publishing;
  const target = await publishTarget(dataDir, rawRel);
  if (target instanceof Refusal) return refuse(req, res, target);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return refuse(req, res, new Refusal(415, `send ${target.file} uncompressed (got content-encoding "${encoding}")`));
  }
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  const tmp = tempName(target.modelDir, target.file);
  const admission = await uploads.admit(() => admitUpload(target, tmp, declared, limits, uploads, folders));
  if (admission instanceof Refusal) return refuse(req, res, admission);
  try {
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    const receive = target.file === 'model.json' ? receiveModelJson : receiveWeights;
    const result = await receive(req, target, {dataDir, tmp, limit: admission.limit, folders});
    // The client went away: no one to answer.
    if (result === 'aborted') return;
    if (result === 'too-large') return refuse(req, res, admission.tooLarge);
    if (result instanceof Refusal) return refuse(req, res, result);
    const folderUrl = `/data/${rawRel.slice(0, rawRel.lastIndexOf('/') + 1)}`;
    const stored = `${folderUrl}${result.stored}`;
    res.writeHead(result.replaced ? 200 : 201, {
      'content-type': 'text/plain; charset=utf-8',
      // Where the file is kept (weights: under a name of their content).
      'content-location': stored,
      ...(result.replaced ? {} : {location: stored}),
    });
    const what = target.file === 'model.json' ? `${stored} (${result.bytes} bytes, with weights ${result.weights})` : `weights.bin as ${stored} (${result.bytes} bytes): PUT its model.json next`;
    res.end(`${result.replaced ? 'replaced' : 'published'} ${what}\n`);
  } finally {
    uploads.release(admission.upload);
  }
}

interface Receiving {
  dataDir: string;
  tmp: string;
  limit: number;
  folders: ModelFolders;
}

type Received = (Placed & {weights?: string}) | Refusal | BodyCutShort;

/**
 * model.json: read whole (it is small), checked, then, with no other change of
 * the folder running, matched to its weights on the server and written naming
 * them. The weights no model.json names any more are kept for readers that
 * fetched the old one a moment ago, and deleted after the grace period.
 */
async function receiveModelJson(req: http.IncomingMessage, target: PublishTarget, r: Receiving): Promise<Received> {
  const body = await readBody(req, r.limit);
  if (typeof body === 'string') return body;
  const model = parseModelJson(body);
  if (model instanceof Refusal) return model;
  return r.folders.locked(target.modelDir, async () => {
    const before = await readModelFolder(target.modelDir);
    const weights = await findWeights(model, before);
    if (weights instanceof Refusal) return weights;
    const commit = async (tmp: string): Promise<Placed> => {
      const json = path.join(target.modelDir, 'model.json');
      await fs.rename(tmp, json);
      const {mtime} = await fs.stat(json);
      for (const w of before.weights) {
        if (w.name === weights.name) continue;
        const file = path.join(target.modelDir, w.name);
        // Named by the model.json just replaced: kept for the grace period, which starts now.
        if (w.role === 'live') await fs.utimes(file, mtime, mtime);
        // Never named by any model.json: no reader can be loading it.
        else if (w.role === 'pending') await fs.rm(file, {force: true});
      }
      r.folders.pruneLater(target.modelDir);
      return {replaced: before.json !== undefined, bytes: (await fs.stat(json)).size, stored: 'model.json'};
    };
    const placed = await placeFile<never>(target, {dataDir: r.dataDir, tmp: r.tmp, makeFolder: false, commit}, async (file) => {
      await file.writeFile(pointingAt(model, weights.name));
      return 'ok';
    });
    return placed instanceof Refusal ? placed : {...placed, weights: weights.name};
  });
}

/**
 * weights.bin: streamed to disk as it comes (hashing it), into a model folder
 * made where missing, then kept under the name of its content: it replaces no
 * file, and weights already there with the same content are kept as they are.
 * It is then the upload waiting for its model.json; an earlier one still
 * waiting is deleted (no model.json ever named it).
 */
async function receiveWeights(req: http.IncomingMessage, target: PublishTarget, r: Receiving): Promise<Received> {
  const hash = createHash('sha256');
  const commit = (tmp: string) =>
    r.folders.locked(target.modelDir, async (): Promise<Placed | Refusal> => {
      const sha256 = hash.digest('hex');
      const name = contentName(sha256);
      const file = path.join(target.modelDir, name);
      const before = await readModelFolder(target.modelDir);
      if (before.weights.some((w) => w.name === name)) {
        if ((await fileSha256(file)) !== sha256) return new Refusal(409, `${name} on the server holds other weights with the same name: publish under another model name`);
      } else {
        await fs.rename(tmp, file);
      }
      // Newer than model.json: the upload its next model.json goes with (and safe from pruning meanwhile).
      const now = Math.max(Date.now(), (before.json?.mtimeMs ?? 0) + 1);
      await fs.utimes(file, now / 1000, now / 1000);
      for (const w of before.weights) {
        if (w.role === 'pending' && w.name !== name) await fs.rm(path.join(target.modelDir, w.name), {force: true});
      }
      return {replaced: before.json !== undefined || before.weights.length > 0, bytes: (await fs.stat(file)).size, stored: name};
    });
  return placeFile(target, {dataDir: r.dataDir, tmp: r.tmp, makeFolder: true, commit}, (file) =>
    streamBody(req, r.limit, (chunk) => {
      hash.update(chunk);
      return file.write(chunk).then(() => undefined);
    }),
  );
}
