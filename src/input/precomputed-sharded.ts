/**
 * Chunk lookup in neuroglancer_uint64_sharded_v1 precomputed scales
 * (https://github.com/google/neuroglancer/blob/master/src/datasource/precomputed/sharded.md):
 * a chunk's id is the compressed Morton code of its grid position; a hash of the
 * id picks a shard file and a minishard in it; the shard's fixed-size index
 * locates the minishard's index, which lists the chunks' byte ranges. All uint64
 * arithmetic is BigInt.
 */
import murmur from 'murmurhash3js-revisited';
import {decompress} from './codecs.ts';
import {ByteBudgetCache} from '../util/byte-budget-cache.ts';
import {MissingChunkError} from './store.ts';
import type {InputStore} from './types.ts';

export type ShardingHash = 'identity' | 'murmurhash3_x86_128';
export type ShardingEncoding = 'raw' | 'gzip';

export interface ShardingSpec {
  preshiftBits: number;
  hash: ShardingHash;
  minishardBits: number;
  shardBits: number;
  minishardIndexEncoding: ShardingEncoding;
  dataEncoding: ShardingEncoding;
}

const HASHES: readonly ShardingHash[] = ['identity', 'murmurhash3_x86_128'];
const ENCODINGS: readonly ShardingEncoding[] = ['raw', 'gzip'];

/** The scale's `sharding` member as a spec; `where` names the scale in messages. */
export function parseSharding(value: unknown, where: string): ShardingSpec {
  if (typeof value !== 'object' || value === null) throw new Error(`the sharding of ${where} is not an object`);
  const s = value as Record<string, unknown>;
  if (s['@type'] !== 'neuroglancer_uint64_sharded_v1') {
    throw new Error(`${where} uses sharding "${String(s['@type'])}", which is not supported (only neuroglancer_uint64_sharded_v1 is)`);
  }
  const hash = s.hash as ShardingHash;
  if (!HASHES.includes(hash)) throw new Error(`${where} shards with the hash "${String(s.hash)}", which is not supported (supported: ${HASHES.join(', ')})`);
  const bits = (name: string): number => {
    const v = s[name] ?? 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 64) throw new Error(`the sharding ${name} of ${where} is not an integer from 0 to 64`);
    return v;
  };
  const encoding = (name: string): ShardingEncoding => {
    const v = (s[name] ?? 'raw') as ShardingEncoding;
    if (!ENCODINGS.includes(v)) throw new Error(`the sharding ${name} of ${where} is "${String(v)}", which is not supported (supported: ${ENCODINGS.join(', ')})`);
    return v;
  };
  const spec: ShardingSpec = {
    preshiftBits: bits('preshift_bits'),
    hash,
    minishardBits: bits('minishard_bits'),
    shardBits: bits('shard_bits'),
    minishardIndexEncoding: encoding('minishard_index_encoding'),
    dataEncoding: encoding('data_encoding'),
  };
  if (spec.minishardBits + spec.shardBits > 64) throw new Error(`the sharding of ${where} uses more than 64 minishard and shard bits`);
  return spec;
}

/** Bits a grid axis of `size` positions needs: ceil(log2(size)), 0 for a single position. */
export function axisBits(size: number): number {
  let bits = 0;
  while (2 ** bits < size) bits++;
  return bits;
}

/**
 * Compressed Morton code of `position` in a grid of `gridShape` (both x, y, z):
 * bit i of x, y, z interleaved in that order, skipping an axis once its own
 * bits are used up, so a non-cubic grid packs into as few bits as it needs.
 */
export function compressedMortonCode(position: readonly number[], gridShape: readonly number[]): bigint {
  const bits = gridShape.map(axisBits);
  const maxBits = Math.max(...bits);
  let code = 0n;
  let next = 0n;
  for (let bit = 0; bit < maxBits; bit++) {
    for (let axis = 0; axis < position.length; axis++) {
      if (bit >= bits[axis]) continue;
      code |= BigInt(Math.floor(position[axis] / 2 ** bit) & 1) << next;
      next++;
    }
  }
  return code;
}

/**
 * MurmurHash3_x86_128 (seed 0) of `value` as 8 little-endian bytes, low 64 bits.
 * The library prints h1 h2 h3 h4 as 8 hex digits each; the hash's first 8 bytes
 * (h1 then h2, little-endian) are the uint64 h2·2³² + h1.
 */
export function murmurLow64(value: bigint): bigint {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  const hex = murmur.x86.hash128(bytes, 0);
  return BigInt(`0x${hex.slice(8, 16)}${hex.slice(0, 8)}`);
}

export function shardingHash(value: bigint, hash: ShardingHash): bigint {
  return hash === 'identity' ? value : murmurLow64(value);
}

/** Shard and minishard of chunk `chunkId`. */
export function chunkShard(chunkId: bigint, spec: ShardingSpec): {shard: bigint; minishard: bigint} {
  const hashed = shardingHash(chunkId >> BigInt(spec.preshiftBits), spec.hash);
  const minishard = hashed & ((1n << BigInt(spec.minishardBits)) - 1n);
  const shard = (hashed >> BigInt(spec.minishardBits)) & ((1n << BigInt(spec.shardBits)) - 1n);
  return {shard, minishard};
}

/** Shard file name: lowercase hex, zero-padded to ceil(shard_bits / 4) digits. */
export function shardFileName(shard: bigint, shardBits: number): string {
  return `${shard.toString(16).padStart(Math.ceil(shardBits / 4), '0')}.shard`;
}

/** Byte range within a shard file. */
interface Range {
  offset: number;
  length: number;
}

/**
 * A decoded minishard index: its chunk ids (ascending) and each chunk's
 * absolute byte range in the shard file, kept as typed arrays so that the
 * index cache can weigh it exactly.
 */
export class MinishardIndex {
  constructor(
    private readonly ids: BigUint64Array,
    private readonly offsets: Float64Array,
    private readonly lengths: Float64Array,
  ) {}

  get byteLength(): number {
    return this.ids.byteLength + this.offsets.byteLength + this.lengths.byteLength;
  }

  find(id: bigint): Range | undefined {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ids[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.ids.length && this.ids[lo] === id ? {offset: this.offsets[lo], length: this.lengths[lo]} : undefined;
  }
}

const EMPTY_MINISHARD = new MinishardIndex(new BigUint64Array(0), new Float64Array(0), new Float64Array(0));

/** Shard indices up to this size are read whole (one request per shard); larger ones an entry at a time. */
const WHOLE_INDEX_BYTES = 1 << 16;

/** What the shard index cache holds: whole shard indices and decoded minishard indices. */
export type ShardIndexCache = ByteBudgetCache<BigUint64Array | MinishardIndex>;

/** Memory for the indices of every sharded scale a process reads, unless a scale is given a cache of its own. */
export const SHARD_INDEX_BUDGET_BYTES = 32 << 20;

let sharedIndexCache: ShardIndexCache | undefined;

export function shardIndexCache(budgetBytes = SHARD_INDEX_BUDGET_BYTES): ShardIndexCache {
  return new ByteBudgetCache<BigUint64Array | MinishardIndex>(budgetBytes, (index) => index.byteLength);
}

/** Tells the scales apart in the shared index cache (two opens of one volume read their indices apart). */
let nextScaleId = 0;

/**
 * Reads chunks of one sharded scale stored under `prefix` (e.g. "10_10_40") of
 * `store`. Shard indices and decoded minishard indices are kept in a
 * byte-budgeted LRU cache (by default one shared by all scales), so a long
 * session's memory stays bounded; an evicted index is read again when needed.
 */
export class ShardedScale {
  private readonly indexBytes: number;
  private readonly cacheKey = `scale${nextScaleId++}`;
  private readonly indices: ShardIndexCache;

  constructor(
    private readonly store: InputStore,
    private readonly prefix: string,
    readonly spec: ShardingSpec,
    indexCache?: ShardIndexCache,
  ) {
    this.indexBytes = 16 * 2 ** spec.minishardBits;
    this.indices = indexCache ?? (sharedIndexCache ??= shardIndexCache());
  }

  /**
   * The stored bytes of chunk `chunkId` (after the sharding's data encoding),
   * `chunkName` naming it in messages. A missing shard file or a chunk absent
   * from its minishard is a MissingChunkError.
   */
  async read(chunkId: bigint, chunkName: string, signal?: AbortSignal): Promise<Uint8Array> {
    const {shard, minishard} = chunkShard(chunkId, this.spec);
    const file = this.shardKey(shard);
    let range: Range | undefined;
    try {
      // Index reads are shared between blocks, so no one block's signal may cancel them.
      range = (await this.minishardIndex(shard, minishard)).find(chunkId);
    } catch (e) {
      if (e instanceof MissingChunkError) throw new MissingChunkError(file.slice(1), `the shard file holding chunk ${chunkName} is not found`);
      throw e;
    }
    signal?.throwIfAborted();
    if (!range) throw new MissingChunkError(chunkName, `chunk ${chunkId} is not listed in minishard ${minishard} of ${file.slice(1)}`);
    const stored = await readRange(this.store, file, range, signal);
    return decompress(stored, this.spec.dataEncoding);
  }

  private shardKey(shard: bigint): `/${string}` {
    return `/${this.prefix}/${shardFileName(shard, this.spec.shardBits)}`;
  }

  private async minishardIndex(shard: bigint, minishard: bigint): Promise<MinishardIndex> {
    const index = await this.indices.get(`${this.cacheKey}/${shard}/${minishard}`, async () => {
      const file = this.shardKey(shard);
      const [start, end] = await this.shardIndexEntry(shard, minishard);
      if (start === end) return EMPTY_MINISHARD;
      if (end < start) throw new Error(`the index of ${file.slice(1)} gives minishard ${minishard} a negative length`);
      const stored = await readRange(this.store, file, {offset: this.indexBytes + Number(start), length: Number(end - start)});
      const bytes = await decompress(stored, this.spec.minishardIndexEncoding);
      return parseMinishardIndex(bytes, this.indexBytes, `minishard ${minishard} of ${file.slice(1)}`);
    });
    return index as MinishardIndex;
  }

  /** [start, end) of the minishard's index, relative to the end of the shard index. */
  private async shardIndexEntry(shard: bigint, minishard: bigint): Promise<[bigint, bigint]> {
    const file = this.shardKey(shard);
    if (this.indexBytes > WHOLE_INDEX_BYTES) {
      const entry = uint64s(await readRange(this.store, file, {offset: Number(minishard) * 16, length: 16}));
      return [entry[0], entry[1]];
    }
    const load = async () => uint64s(await readRange(this.store, file, {offset: 0, length: this.indexBytes}));
    const index = (await this.indices.get(`${this.cacheKey}/${shard}`, load)) as BigUint64Array;
    const i = Number(minishard) * 2;
    return [index[i], index[i + 1]];
  }
}

/**
 * A decoded minishard index. Stored as 3·n uint64: ids (delta-coded), offsets
 * (each relative to the previous chunk's end, the first to the end of the shard
 * index), sizes.
 */
export function parseMinishardIndex(bytes: Uint8Array, shardIndexBytes: number, where: string): MinishardIndex {
  if (bytes.length % 24 !== 0) throw new Error(`the index of ${where} is ${bytes.length} bytes long, not a multiple of 24`);
  const values = uint64s(bytes);
  const n = values.length / 3;
  const ids = new BigUint64Array(n);
  const offsets = new Float64Array(n);
  const lengths = new Float64Array(n);
  let id = 0n;
  let end = BigInt(shardIndexBytes);
  for (let i = 0; i < n; i++) {
    id += values[i];
    const start = end + values[n + i];
    end = start + values[2 * n + i];
    ids[i] = id;
    offsets[i] = Number(start);
    lengths[i] = Number(end - start);
  }
  return new MinishardIndex(ids, offsets, lengths);
}

/** Little-endian uint64s of `bytes` (whose length is a multiple of 8). */
function uint64s(bytes: Uint8Array): BigUint64Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new BigUint64Array(bytes.byteLength >> 3);
  for (let i = 0; i < out.length; i++) out[i] = view.getBigUint64(8 * i, true);
  return out;
}

async function readRange(store: InputStore, key: `/${string}`, range: Range, signal?: AbortSignal): Promise<Uint8Array> {
  if (!store.getRange) throw new Error(`this store cannot read byte ranges, which the sharded ${key.slice(1)} needs`);
  const bytes = await store.getRange(key, range, {signal});
  if (bytes === undefined) throw new MissingChunkError(key.slice(1));
  if (bytes.length !== range.length) throw new Error(`${key.slice(1)} is shorter than its index says (bytes ${range.offset}–${range.offset + range.length} asked, ${bytes.length} read)`);
  return bytes;
}
