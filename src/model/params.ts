/**
 * The network's weights: one named tf.Variable each, created in a fixed order
 * from the config. Names are stable (they are the keys in saved model files).
 */
import * as tf from '@tensorflow/tfjs';
import {ffnHidden, levelChannels, levelCount, type ModelConfig} from './config.ts';

export type Params = Map<string, tf.Variable>;

type Init = 'he' | 'trunc02' | 'zeros' | 'ones';

// tfjs wants globally unique variable names; several models may live side by side.
let instances = 0;

class ParamBuilder {
  readonly params: Params = new Map();
  private seed: number;
  private readonly prefix = `model${++instances}/`;
  constructor(seed: number) {
    this.seed = seed;
  }

  add(name: string, shape: number[], init: Init, fanIn = 1): void {
    const value = tf.tidy(() => {
      switch (init) {
        case 'zeros':
          return tf.zeros(shape);
        case 'ones':
          return tf.ones(shape);
        case 'he':
          return tf.truncatedNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', this.seed++);
        case 'trunc02':
          return tf.truncatedNormal(shape, 0, 0.02, 'float32', this.seed++);
      }
    });
    this.params.set(name, tf.variable(value, true, this.prefix + name));
    value.dispose();
  }

  conv(name: string, k: number, cin: number, cout: number, init: Init = 'he'): void {
    this.add(`${name}.w`, [k, k, cin, cout], init, k * k * cin);
    this.add(`${name}.b`, [cout], 'zeros');
  }

  linear(name: string, cin: number, cout: number): void {
    this.add(`${name}.w`, [cin, cout], 'trunc02');
  }

  layerNorm(name: string, c: number): void {
    this.add(`${name}.gamma`, [c], 'ones');
    this.add(`${name}.beta`, [c], 'zeros');
  }
}

function addBlock(b: ParamBuilder, name: string, config: ModelConfig, level: number): void {
  const c = levelChannels(config, level);
  const hidden = ffnHidden(config, level);
  if (config.attention[level]) {
    const m = config.window;
    b.layerNorm(`${name}.norm1`, c);
    b.linear(`${name}.attn.q`, c, c);
    b.linear(`${name}.attn.k`, c, c);
    b.linear(`${name}.attn.v`, c, c);
    b.add(`${name}.attn.relBias`, [(2 * m - 1) ** 2, config.heads[level]], 'trunc02');
    b.linear(`${name}.attn.proj`, c, c);
  }
  b.layerNorm(`${name}.norm2`, c);
  b.linear(`${name}.glen.gate`, c, hidden);
  b.linear(`${name}.glen.value`, c, hidden);
  b.add(`${name}.glen.dw.w`, [3, 3, hidden, 1], 'he', 9);
  b.add(`${name}.glen.dw.b`, [hidden], 'zeros');
  b.linear(`${name}.glen.proj`, hidden, c);
  if (config.rhoConditioning) addFilm(b, name, config, c);
}

/** Scale and shift of `c` channels from the ρ embedding; zero at first, so the modulation starts as the identity. */
function addFilm(b: ParamBuilder, name: string, config: ModelConfig, c: number): void {
  b.add(`${name}.film.w`, [config.rhoConditioning!.embedding, 2 * c], 'zeros');
}

/** Number of log-ρ features the conditioning MLP reads (network.ts, rhoFeatures). */
export const RHO_FEATURES = 3;

/**
 * Adds the ρ-conditioning weights a conditioned config needs and `params` lacks,
 * at their initial values (the modulation starts as the identity): a fixed-ρ
 * model's weights become a generic model's that computes the same at first.
 */
export function addConditioningParams(params: Params, config: ModelConfig, seed = 1): void {
  for (const [name, v] of createParams(config, seed)) {
    if (params.has(name)) v.dispose();
    else params.set(name, v);
  }
}

export function createParams(config: ModelConfig, seed = 1): Params {
  const b = new ParamBuilder(seed);
  const k = levelCount(config);
  b.conv('stem', 3, 1, config.channels);
  if (config.rhoConditioning) {
    b.add('rho.embed.w', [RHO_FEATURES, config.rhoConditioning.embedding], 'he', RHO_FEATURES);
    b.add('rho.embed.b', [config.rhoConditioning.embedding], 'zeros');
    addFilm(b, 'stem', config, config.channels);
  }
  for (let level = 0; level < k; level++) {
    for (let i = 0; i < config.blocks[level]; i++) addBlock(b, `enc${level}.block${i}`, config, level);
    b.conv(`down${level}`, 2, levelChannels(config, level), levelChannels(config, level + 1));
  }
  for (let i = 0; i < config.bottleneckBlocks; i++) addBlock(b, `bottleneck.block${i}`, config, k);
  for (let level = k - 1; level >= 0; level--) {
    const c = levelChannels(config, level);
    // Transposed conv filter: [kh, kw, outChannels, inChannels].
    b.add(`up${level}.w`, [2, 2, c, 2 * c], 'he', 2 * c);
    b.add(`up${level}.b`, [c], 'zeros');
    b.conv(`fuse${level}`, 1, 2 * c, c);
    for (let i = 0; i < config.blocks[level]; i++) addBlock(b, `dec${level}.block${i}`, config, level);
  }
  // Small (not zero: gradients must reach the layers behind it), so the untrained network returns about its input.
  b.conv('projection', 3, config.channels, 1, 'trunc02');
  return b.params;
}

export function countParams(params: Params): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
}
