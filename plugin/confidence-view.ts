/**
 * The confidence view in the viewer: an isotropic layer whose source has
 * `show=confidence` is drawn with the confidence shader (grey image, orange where
 * the network is least certain) as soon as its two channels are loaded, unless
 * the user wrote a shader of their own; the key C shows or hides the colours of
 * every such layer. Pressed with no such layer, C adds `show=confidence` to the
 * visible isotropic layers (their chunks are then computed again, with confidence).
 */
import type {Viewer} from 'neuroglancer/unstable/viewer.js';
import {StatusMessage} from 'neuroglancer/unstable/status.js';
import {formatSourceUrl, parseSourceUrl, splitIsotropicSource} from '../src/input/source-url.ts';
import {CONFIDENCE_CONTROL, CONFIDENCE_KEY, CONFIDENCE_KEY_NAME, CONFIDENCE_SHADER} from '../layers/isotropic/confidence-shader.ts';

const ACTION = 'toggle-isotropic-confidence';

/** The parts of neuroglancer's image layer this module touches. */
interface ImageLayerLike {
  dataSources: {spec: {url: string}}[];
  fragmentMain: {value: string; defaultValue: string};
  channelCoordinateSpace: {value: {rank: number}; changed: {add(f: () => void): () => void}};
  shaderControlState: {value: Map<string, {trackable: {value: unknown}}>};
}

interface ManagedLayerLike {
  name: string;
  visible: boolean;
  layer: unknown;
}

function imageLayer(managed: ManagedLayerLike): ImageLayerLike | undefined {
  const layer = managed.layer as Partial<ImageLayerLike> | null;
  return layer?.fragmentMain && layer.dataSources && layer.channelCoordinateSpace ? (layer as ImageLayerLike) : undefined;
}

/** The layer's isotropic source, if it has one. */
function isotropicSource(layer: ImageLayerLike): {spec: {url: string}} | undefined {
  return layer.dataSources.find((s) => splitIsotropicSource(s.spec.url));
}

export function showsConfidence(url: string): boolean {
  const split = splitIsotropicSource(url);
  if (!split) return false;
  try {
    return parseSourceUrl(split.providerUrl, split.format).show === 'confidence';
  } catch {
    return false; // the layer says what is wrong with its URL
  }
}

function layers(viewer: Viewer): ManagedLayerLike[] {
  return viewer.layerManager.managedLayers as unknown as ManagedLayerLike[];
}

/**
 * Gives confidence layers the confidence shader once their channel dimension is
 * there (before, the shader's second channel would not compile), and a layer that
 * no longer shows confidence its default shader back. A shader of the user's own stays.
 */
export function applyConfidenceShaders(viewer: Viewer): void {
  for (const managed of layers(viewer)) {
    const layer = imageLayer(managed);
    if (!layer) continue;
    const source = isotropicSource(layer);
    const wanted = source !== undefined && showsConfidence(source.spec.url);
    const {fragmentMain} = layer;
    if (wanted && fragmentMain.value === fragmentMain.defaultValue && layer.channelCoordinateSpace.value.rank === 1) {
      fragmentMain.value = CONFIDENCE_SHADER;
    } else if (!wanted && fragmentMain.value === CONFIDENCE_SHADER) {
      fragmentMain.value = fragmentMain.defaultValue;
    }
  }
}

/**
 * C: shows or hides the colours of every layer with the confidence view (all
 * to the same state: shown if any was hidden). With none, turns the view on for
 * the visible isotropic layers. Returns what it did, in words.
 */
export function toggleConfidence(viewer: Viewer): string {
  const controls = layers(viewer).flatMap((managed) => {
    const layer = imageLayer(managed);
    const control = layer?.shaderControlState.value.get(CONFIDENCE_CONTROL);
    return layer && control && showsConfidence(isotropicSource(layer)?.spec.url ?? '') ? [control.trackable] : [];
  });
  if (controls.length > 0) {
    const show = controls.some((c) => c.value !== true);
    for (const c of controls) c.value = show;
    return show ? `Confidence colours shown (${CONFIDENCE_KEY_NAME} hides them)` : `Confidence colours hidden (${CONFIDENCE_KEY_NAME} shows them)`;
  }
  const ownShaders = layers(viewer).filter((managed) => {
    const layer = imageLayer(managed);
    return layer && showsConfidence(isotropicSource(layer)?.spec.url ?? '');
  });
  if (ownShaders.length > 0) {
    return `${ownShaders.map((m) => `"${m.name}"`).join(', ')} shows confidence with a shader of its own, without the "${CONFIDENCE_CONTROL}" control ${CONFIDENCE_KEY_NAME} switches`;
  }
  const turnedOn: string[] = [];
  for (const managed of layers(viewer)) {
    const layer = imageLayer(managed);
    const source = layer && isotropicSource(layer);
    if (!managed.visible || !source || showsConfidence(source.spec.url)) continue;
    const {format, providerUrl} = splitIsotropicSource(source.spec.url)!;
    let url: string;
    try {
      url = formatSourceUrl({...parseSourceUrl(providerUrl, format), show: 'confidence'});
    } catch {
      continue;
    }
    source.spec = {...source.spec, url};
    turnedOn.push(managed.name);
  }
  if (turnedOn.length === 0) return `No visible isotropic layer: the confidence view (${CONFIDENCE_KEY_NAME}) colours an isotropic layer's uncertain voxels`;
  return `Confidence view turned on for ${turnedOn.map((n) => `"${n}"`).join(', ')} (show=confidence): its chunks are computed again, with their confidence`;
}

export function installConfidenceView(viewer: Viewer): void {
  // A layer's channel dimension arrives when its data source has loaded: look again then.
  const watched = new WeakSet<ImageLayerLike>();
  const apply = () => {
    for (const managed of layers(viewer)) {
      const layer = imageLayer(managed);
      if (!layer || watched.has(layer)) continue;
      watched.add(layer);
      layer.channelCoordinateSpace.changed.add(apply);
    }
    applyConfidenceShaders(viewer);
  };
  viewer.registerDisposer(viewer.layerManager.layersChanged.add(apply));
  apply();
  viewer.inputEventBindings.global.set(CONFIDENCE_KEY, ACTION);
  viewer.bindAction(ACTION, () => StatusMessage.showTemporaryMessage(toggleConfidence(viewer), 4000));
}
