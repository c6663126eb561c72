/**
 * Points an isotropic layer at another model without reloading the page: the
 * layer's source URL gets the new `model` and `version`, neuroglancer reloads
 * the data source, and every chunk is computed afresh with the new model (its
 * chunk sources differ in their parameters, so nothing cached is reused). The
 * URL is the view state, so the shared view names the new model too.
 */
import {formatSourceUrl, parseSourceUrl, splitIsotropicSource} from '../../src/input/source-url.ts';

interface DataSourceLike {
  spec: {url: string};
}

export interface LayerLike {
  name: string;
  layer: {dataSources: DataSourceLike[]} | null;
}

/** `model`: absolute URL, or relative to the dataset as the `model` option takes it. */
export function useModel(layer: LayerLike, model: string, version?: string): string {
  const source = layer.layer?.dataSources.find((s) => splitIsotropicSource(s.spec.url));
  if (!source) throw new Error(`layer "${layer.name}" is not an isotropic layer`);
  const {format, providerUrl} = splitIsotropicSource(source.spec.url)!;
  const options = parseSourceUrl(providerUrl, format);
  const url = formatSourceUrl({...options, model, version});
  source.spec = {...source.spec, url};
  return url;
}
