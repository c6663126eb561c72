/**
 * Every number of the network in one object, with presets. The network is the
 * A2I-3DEM transformer U-Net: conv stem → K encoder levels of ViT blocks with
 * strided downsampling → bottleneck → decoder (upsampling, skip fusion, ViT
 * blocks) → stem features added → projection conv → residual over the
 * interpolated input.
 */
export interface ModelConfig {
  preset: string;
  /** Stem width C; level i works at C·2^i channels. */
  channels: number;
  /** ViT blocks per encoder level (and mirrored in the decoder); length K. */
  blocks: number[];
  /** ViT blocks in the bottleneck (level K, after K downsamplings). */
  bottleneckBlocks: number;
  /**
   * Whether the blocks of level i (0..K, K = bottleneck) use window attention.
   * Without it a block is LayerNorm → GLEN only: attention at full resolution
   * costs most and pays least, so the default preset spends it on lower levels.
   */
  attention: boolean[];
  /** Attention heads per level (0..K). */
  heads: number[];
  /** Attention window edge M. */
  window: number;
  /** GLEN hidden width as a multiple of the level's channels. */
  ffnExpansion: number;
  /**
   * Present in a ρ-conditioned ("generic") network: ρ is an input. An MLP turns
   * log ρ into an embedding of this width, from which each place the network
   * is modulated gets a per-channel scale and shift (FiLM): the stem's features
   * and every block's GLEN input. Absent: a fixed-ρ network, as in the paper.
   */
  rhoConditioning?: {embedding: number};
}

// For tests: a few thousand parameters, every kind of block present.
const TINY: ModelConfig = {preset: 'tiny', channels: 4, blocks: [1], bottleneckBlocks: 1, attention: [true, true], heads: [1, 2], window: 4, ffnExpansion: 2};
const DEFAULT: ModelConfig = {
  preset: 'default',
  channels: 24,
  blocks: [1, 2],
  bottleneckBlocks: 2,
  attention: [false, true, true],
  heads: [1, 2, 4],
  window: 8,
  ffnExpansion: 2,
};

const LARGE: ModelConfig = {
  preset: 'large',
  channels: 32,
  blocks: [2, 2, 2],
  bottleneckBlocks: 2,
  attention: [true, true, true, true],
  heads: [1, 2, 4, 8],
  window: 8,
  ffnExpansion: 2.66,
};

export const PRESETS: Record<'tiny' | 'default' | 'large' | 'generic' | 'tiny-generic' | 'large-generic', ModelConfig> = {
  tiny: TINY,
  default: DEFAULT,
  large: LARGE,
  generic: {...DEFAULT, preset: 'generic', rhoConditioning: {embedding: 32}},
  'tiny-generic': {...TINY, preset: 'tiny-generic', rhoConditioning: {embedding: 8}},
  // For GPU training (the device kit): about 4× the default network's work per voxel.
  'large-generic': {...LARGE, preset: 'large-generic', rhoConditioning: {embedding: 32}},
};

export type PresetName = keyof typeof PRESETS;

/** The preset a new model gets when none is named. */
export const DEFAULT_PRESET: PresetName = 'default';

export function presetConfig(name: string): ModelConfig {
  const config = PRESETS[name as PresetName];
  if (!config) throw new Error(`unknown preset "${name}" (choose ${Object.keys(PRESETS).join(', ')})`);
  return structuredClone(config);
}

export function levelCount(config: ModelConfig): number {
  return config.blocks.length;
}

export function levelChannels(config: ModelConfig, level: number): number {
  return config.channels * 2 ** level;
}

export function ffnHidden(config: ModelConfig, level: number): number {
  return Math.round(levelChannels(config, level) * config.ffnExpansion);
}

export function isRhoConditioned(config: ModelConfig): boolean {
  return config.rhoConditioning !== undefined;
}

/**
 * The ρ-conditioned twin of a fixed-ρ config (same network, plus conditioning),
 * for turning a fixed-ρ model into a generic one by fine-tuning (`train --init`).
 */
export function conditionedConfig(config: ModelConfig, embedding: number): ModelConfig {
  const preset = config.preset === 'default' ? 'generic' : `${config.preset}-generic`;
  return {...structuredClone(config), preset, rhoConditioning: {embedding}};
}

/** Input height and width must be multiples of this (the network pads and crops). */
export function sizeMultiple(config: ModelConfig): number {
  const k = levelCount(config);
  // The deepest level with attention needs whole windows; every level needs even sizes to downsample.
  let multiple = 2 ** k;
  config.attention.forEach((on, level) => {
    if (on) multiple = Math.max(multiple, config.window * 2 ** level);
  });
  return multiple;
}

export function validateConfig(config: ModelConfig): void {
  const k = levelCount(config);
  const problems: string[] = [];
  if (k < 1) problems.push('at least one level');
  if (config.attention.length !== k + 1) problems.push(`attention needs ${k + 1} entries`);
  if (config.heads.length !== k + 1) problems.push(`heads needs ${k + 1} entries`);
  config.heads.forEach((h, level) => {
    if (levelChannels(config, level) % h !== 0) problems.push(`level ${level}: ${levelChannels(config, level)} channels not divisible by ${h} heads`);
  });
  const embedding = config.rhoConditioning?.embedding;
  if (embedding !== undefined && !(Number.isInteger(embedding) && embedding >= 1)) problems.push(`rhoConditioning.embedding must be a positive integer, got ${embedding}`);
  if (problems.length) throw new Error(`invalid model config: ${problems.join('; ')}`);
}

/** Multiply-adds count 2 FLOPs. Per output pixel, for one forward pass. */
export function flopsPerPixel(config: ModelConfig): number {
  const k = levelCount(config);
  const n = config.window * config.window;
  const block = (level: number) => {
    const c = levelChannels(config, level);
    const hidden = ffnHidden(config, level);
    const area = 4 ** -level; // pixels at this level per output pixel
    let f = 2 * c * 2 * hidden + 2 * 9 * hidden + 2 * hidden * c; // GLEN: two linears, depth-wise 3×3, projection
    if (config.attention[level]) f += 2 * c * 3 * c + 2 * 2 * n * c + 2 * c * c; // qkv, q·kᵀ and attn·v, projection
    return f * area;
  };
  let total = 2 * 9 * config.channels + 2 * 9 * config.channels; // stem and projection convs
  for (let level = 0; level < k; level++) {
    const c = levelChannels(config, level);
    const area = 4 ** -level;
    total += 2 * config.blocks[level] * block(level); // encoder and decoder blocks
    total += (2 * 4 * c * 2 * c) * (area / 4); // downsampling conv 2×2 stride 2
    total += (2 * 4 * 2 * c * c) * (area / 4); // transposed conv 2×2 stride 2
    total += 2 * 2 * c * c * area; // 1×1 skip fusion
  }
  total += config.bottleneckBlocks * block(k);
  return total;
}
