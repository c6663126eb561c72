/**
 * What the panel does with a trained model: download it (one .zip with the
 * model's folder and the commands that put it beside the data on a bucket),
 * keep it in this browser, apply it to the dataset's isotropic layer, or
 * publish it to the server (with that server's publish token, asked for once)
 * and point the layer at the published copy so the view URL can be shared.
 * Errors and notices are in words, keyed by the button they answer; `changed`
 * redraws the panel.
 */
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import type {AnisotropicInput} from '../../src/input/types.ts';
import type {SaveTarget, TrainingSettings} from './protocol.ts';
import type {SavedAnswer} from './controller-state.ts';
import type {TrainingController} from './training-controller.ts';
import {MODEL_NAME_PATTERN, MODEL_NAME_RULE} from '../../src/model/model-name.ts';
import {applyModel, type DatasetChoice} from './viewer-glue.ts';
import {isTokenRefusal, keepPublishToken, storedPublishToken} from './publish-token.ts';
import {modelArchive} from '../../src/share/model-archive.ts';

export type SharingKey = 'apply' | 'save' | 'publish' | 'name';
/** `download`: the downloaded archive's README.txt, shown as it is. */
export type NoticeKey = Exclude<SharingKey, 'name'> | 'download';

/** The archive's name when the model has none yet. */
const UNNAMED = 'isotropic-model';

export class ModelSharing {
  errors: Partial<Record<SharingKey, string>> = {};
  notices: Partial<Record<NoticeKey, string>> = {};
  /** Origin whose publish token is asked for. */
  tokenFor?: string;

  constructor(
    private readonly viewer: Viewer,
    private readonly controller: TrainingController,
    private readonly changed: () => void,
  ) {}

  clear(): void {
    this.errors = {};
    this.notices = {};
    this.tokenFor = undefined;
    this.changed();
  }

  /** One .zip: `<name>/model.json`, `<name>/weights.bin` and README.txt (the upload commands, also shown in the panel). */
  async download(name: string): Promise<void> {
    const settings = this.controller.state.run?.settings;
    const folder = name.trim() || UNNAMED;
    if (!MODEL_NAME_PATTERN.test(folder)) return this.error('name', MODEL_NAME_RULE);
    const m = await this.save({kind: 'download'}, 'save');
    if (!m?.files) return;
    const dataset = settings && {url: settings.datasetUrl, format: settings.format, axis: settings.coarse};
    const archive = modelArchive({name: folder, version: m.version, ...m.files, dataset});
    downloadBlob(new Blob([archive.bytes as Uint8Array<ArrayBuffer>], {type: 'application/zip'}), archive.fileName);
    this.notices = {...this.notices, download: archive.readme};
    this.note('save', `Downloaded ${archive.fileName} (version ${m.version}): the folder ${folder}/ with model.json and weights.bin, and README.txt with the commands below.`);
  }

  async keep(name: string): Promise<void> {
    const m = await this.save({kind: 'browser', name}, 'save');
    if (!m) return;
    this.notices = {...this.notices, download: undefined};
    this.note('save', `Kept in this browser as ${m.url} (version ${m.version}).`);
  }

  async apply(name: string): Promise<void> {
    const settings = this.controller.state.run?.settings; // the run's dataset, whatever is started meanwhile
    if (!settings) return;
    const m = await this.save({kind: 'browser', name}, 'apply');
    if (m) this.useInLayer(settings, m.url!, m.version, 'apply');
  }

  /** With this server's token: the one just typed, else the one kept for it, else it asks for one. */
  async publish(name: string, typed?: string): Promise<void> {
    const settings = this.controller.state.run?.settings;
    if (!settings) return;
    const origin = new URL(settings.datasetUrl, location.href).origin;
    // A token typed for another server (asked for before a run on this one began) is not sent here.
    const token = (this.tokenFor === origin ? typed : undefined) || storedPublishToken(origin);
    if (!token) {
      const asked = this.tokenFor === origin;
      this.tokenFor = origin;
      return this.error('publish', asked ? 'enter the publish token first' : `publishing to ${origin} needs its publish token`);
    }
    const m = await this.save({kind: 'publish', name, token}, 'publish');
    if (!m) {
      if (isTokenRefusal(this.errors.publish ?? '')) {
        keepPublishToken(origin, undefined);
        this.tokenFor = origin;
        this.changed();
      }
      return;
    }
    keepPublishToken(origin, token);
    this.tokenFor = undefined;
    this.useInLayer(settings, m.url!, m.version, 'publish');
  }

  /** A model kept in this browser, for the chosen dataset's layer. */
  useKept(choice: DatasetChoice, input: AnisotropicInput, url: string): void {
    try {
      const layer = applyModel(this.viewer, {url: choice.datasetUrl, format: choice.format, name: input.name}, url, '', input.coarse);
      this.note('apply', `The layer "${layer}" now uses ${url}.`);
    } catch (e) {
      this.error('apply', (e as Error).message);
    }
  }

  private async save(target: SaveTarget, about: Exclude<SharingKey, 'name'>): Promise<SavedAnswer | undefined> {
    if (target.kind !== 'download' && !MODEL_NAME_PATTERN.test(target.name)) {
      this.error('name', MODEL_NAME_RULE);
      return undefined;
    }
    this.errors = {...this.errors, name: undefined, [about]: undefined};
    try {
      return await this.controller.save(target);
    } catch (e) {
      this.error(about, (e as Error).message);
      return undefined;
    }
  }

  private useInLayer(settings: TrainingSettings, url: string, version: string, what: 'apply' | 'publish'): void {
    try {
      const layer = applyModel(this.viewer, {url: settings.datasetUrl, format: settings.format, name: settings.datasetName}, url, version, settings.coarse);
      const where = what === 'publish' ? `Published to ${new URL(url, settings.datasetUrl).href}; ` : '';
      const kept = what === 'apply' ? ' (kept in this browser: publish it to share the view)' : '';
      this.errors = {...this.errors, apply: undefined};
      this.note(what, `${where}the layer "${layer}" now uses model version ${version}${kept}.`);
    } catch (e) {
      this.error('apply', (e as Error).message);
    }
  }

  private note(key: NoticeKey, message: string): void {
    this.notices = {...this.notices, [key]: message};
    this.changed();
  }

  private error(key: SharingKey, message: string): void {
    this.errors = {...this.errors, [key]: message};
    this.changed();
  }
}

function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
