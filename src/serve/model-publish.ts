/**
 * Publishing a trained model to `serve` by HTTP PUT of its two files, in the
 * order `putHandler` in src/model/model-io.ts sends them: weights.bin, then
 * model.json, each to /data/<dataset>/isotropic-models/<name>/ (which paths are
 * accepted: publish-target.ts). Each upload is first admitted against the
 * limits per file and per dataset (publish-limits.ts), then received with that
 * byte limit (request-body.ts) and put into place whole or not at all
 * (upload-writer.ts); model.json only once it names the weights.bin already
 * there (model-json-check.ts). The publish token is checked before
 * (server.ts, publish-token.ts). Node only.
 */
import type http from 'node:http';
import {Refusal, refuse} from './refusal.ts';
import {publishTarget, type PublishTarget} from './publish-target.ts';
import {admitUpload, type PublishLimits, type UploadsInFlight} from './publish-limits.ts';
import {checkModelJson} from './model-json-check.ts';
import {readBody, streamBody, type BodyCutShort} from './request-body.ts';
import {placeFile, tempName, type Placed} from './upload-writer.ts';

/** Handles one PUT: always answers (201 created, 200 replaced, or a refusal). */
export async function handlePublish(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  dataDir: string,
  rawRel: string,
  limits: PublishLimits,
  uploads: UploadsInFlight,
): Promise<void> {
  const target = await publishTarget(dataDir, rawRel);
  if (target instanceof Refusal) return refuse(req, res, target);
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    return refuse(req, res, new Refusal(415, `send ${target.file} uncompressed (got content-encoding "${encoding}")`));
  }
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  const tmp = tempName(target.modelDir, target.file);
  const admission = await uploads.admit(() => admitUpload(target, tmp, declared, limits, uploads));
  if (admission instanceof Refusal) return refuse(req, res, admission);
  try {
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    const receive = target.file === 'model.json' ? receiveModelJson : receiveWeights;
    const result = await receive(req, target, dataDir, tmp, admission.limit);
    // The client went away: no one to answer.
    if (result === 'aborted') return;
    if (result === 'too-large') return refuse(req, res, admission.tooLarge);
    if (result instanceof Refusal) return refuse(req, res, result);
    const where = `/data/${rawRel}`;
    res.writeHead(result.replaced ? 200 : 201, {'content-type': 'text/plain; charset=utf-8', ...(result.replaced ? {} : {location: where})});
    res.end(`${result.replaced ? 'replaced' : 'published'} ${where} (${result.bytes} bytes)\n`);
  } finally {
    uploads.release(admission.upload);
  }
}

type Received = Placed | Refusal | BodyCutShort;

/** model.json: read whole (it is small), checked, then written; its folder is there, as weights.bin is. */
async function receiveModelJson(req: http.IncomingMessage, target: PublishTarget, dataDir: string, tmp: string, limit: number): Promise<Received> {
  const body = await readBody(req, limit);
  if (typeof body === 'string') return body;
  const problem = await checkModelJson(body, target.modelDir);
  if (problem) return problem;
  return placeFile<never>(target, {dataDir, tmp, makeFolder: false}, async (file) => {
    await file.writeFile(body);
    return 'ok';
  });
}

/** weights.bin: streamed to disk as it comes, into a model folder made where missing. */
function receiveWeights(req: http.IncomingMessage, target: PublishTarget, dataDir: string, tmp: string, limit: number): Promise<Received> {
  return placeFile(target, {dataDir, tmp, makeFolder: true}, (file) => streamBody(req, limit, (chunk) => file.write(chunk).then(() => undefined)));
}
