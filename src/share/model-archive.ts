/**
 * A trained model as one download: a .zip holding `<name>/model.json` and
 * `<name>/weights.bin` (the folder a viewer loads) and `README.txt` with the
 * commands that put the folder beside the data on its bucket and the `model=`
 * option that then names it, filled in from the dataset's URL where it says
 * its bucket.
 */
import {strToU8, zipSync} from 'fflate';
import {formatSourceUrl} from '../input/source-url.ts';
import type {FormatName} from '../input/types.ts';
import {bucketFolder, bucketOf} from './bucket-of.ts';
import {placeInWords, urlPlace} from './reachability.ts';
import {bucketUrl} from '../input/location.ts';

export interface ArchiveDataset {
  /** The dataset's URL as the layer reads it (http(s), gs:// or s3://), trailing slash or not. */
  url: string;
  format: FormatName;
  axis?: 'x' | 'y' | 'z';
}

export interface ModelArchiveInput {
  /** The folder's name: a model name (letters, digits, `.`, `-`, `_`). */
  name: string;
  version: string;
  /** model.json naming weights.bin, and weights.bin (as splitModelJson gives them). */
  json: string;
  weights: ArrayBuffer;
  dataset?: ArchiveDataset;
}

export interface ModelArchive {
  fileName: string;
  bytes: Uint8Array;
  /** README.txt's text: also what the panel shows after the download. */
  readme: string;
}

/** The model's folder relative to its dataset, as the layer's `model` option takes it. */
export function relativeModelFolder(name: string): string {
  return `isotropic-models/${name}/`;
}

/** A shell word: kept as is when it has nothing the shell reads, else single-quoted. */
function shellWord(word: string): string {
  return /^([A-Za-z0-9_@%+=:,./-]|<[a-z-]+>)+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

const command = (...words: string[]) => words.map(shellWord).join(' ');

/** The commands that copy the folder `name` next to the dataset on its bucket (placeholders where the URL does not say). */
export function uploadCommands(name: string, datasetUrl?: string): string[] {
  const place = datasetUrl ? bucketOf(datasetUrl) : undefined;
  const gs = place?.store === 'gs' ? bucketFolder(place, 'isotropic-models') : 'gs://<bucket>/<dataset-path>/isotropic-models/';
  const s3 = place?.store === 's3' ? bucketFolder(place, 'isotropic-models', name) : `s3://<bucket>/<dataset-path>/isotropic-models/${name}/`;
  const lines = {gs: command('gsutil', 'cp', '-r', name, gs), s3: command('aws', 's3', 'cp', '--recursive', name, s3)};
  return place ? [lines[place.store]] : [lines.gs, lines.s3];
}

export function archiveReadme(input: Omit<ModelArchiveInput, 'json' | 'weights'>): string {
  const {name, version, dataset} = input;
  const relative = relativeModelFolder(name);
  const lines = [
    `${name}: an isotropic model for neuroglancer-isotropic, version ${version}.`,
    ...(dataset ? [`Trained on ${dataset.url}`] : []),
    '',
    `${name}/model.json and ${name}/weights.bin belong together: keep them in one folder.`,
    '',
  ];
  const place = dataset ? bucketOf(dataset.url) : undefined;
  lines.push(place ? `Put the model beside the data on its bucket (run this where ${name}/ is):` : `Put the model beside the data on its bucket (run this where ${name}/ is; fill in the dataset's bucket and path):`, '');
  lines.push(...uploadCommands(name, dataset?.url).map((c) => `  ${c}`), '');
  if (dataset && !place) lines.push(`On any other web server, copy the folder ${name} to ${withSlash(dataset.url)}${relative}`, '');
  lines.push(`Then the isotropic layer's model option is, relative to the dataset:`, '', `  model=${relative}&version=${version}`, '');
  if (dataset) {
    const base = place ? bucketFolder(place) : withSlash(dataset.url);
    lines.push(`or in full: model=${fullModelUrl(base, relative)}&version=${version}`, '');
    lines.push('so the layer source is', '', `  ${formatSourceUrl({datasetUrl: base, format: dataset.format, model: relative, version, axis: dataset.axis})}`, '');
    const local = urlPlace(dataset.url);
    if (local) lines.push(`Note: the dataset, ${dataset.url}, ${placeInWords(local.place, local.host)}. For a colleague, put the data on a bucket too, and the model beside it.`, '');
  }
  lines.push(
    `The bucket must let the viewer's site read it (CORS), as it does for the data.`,
    `To replace a model that shared links use, upload it under a new name and change model=: a viewer then never reads new weights beside an old model.json.`,
    '',
  );
  return lines.join('\n');
}

/** gs:// and s3:// folders in the https form a browser fetches, so the full model URL works as given. */
function fullModelUrl(base: string, relative: string): string {
  return new URL(relative, bucketUrl(base) ?? base).href;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

export function modelArchive(input: ModelArchiveInput): ModelArchive {
  const readme = archiveReadme(input);
  const bytes = zipSync({
    'README.txt': strToU8(readme),
    [input.name]: {
      'model.json': strToU8(input.json),
      // Float weights hardly compress: stored as they are.
      'weights.bin': [new Uint8Array(input.weights), {level: 0}],
    },
  });
  return {fileName: `${input.name}.zip`, bytes, readme};
}
