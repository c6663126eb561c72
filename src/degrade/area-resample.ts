/**
 * Shrinks a 2-D image by a non-integer factor the way a coarser camera pixel
 * would see it: each output pixel is the mean of the input area it covers
 * (input pixels cut at its edges count by the part inside). Used to show the
 * network lateral planes at coarser pixel sizes than the data's own.
 */

/** One axis: for each output index, the input indices and weights (summing to 1) it averages. */
function areaWeights(from: number, to: number): {index: Int32Array; weight: Float32Array; start: Int32Array} {
  const scale = from / to;
  const index: number[] = [];
  const weight: number[] = [];
  const start = new Int32Array(to + 1);
  for (let o = 0; o < to; o++) {
    start[o] = index.length;
    const a = o * scale, b = (o + 1) * scale;
    for (let i = Math.floor(a); i < Math.min(from, Math.ceil(b)); i++) {
      const w = Math.min(b, i + 1) - Math.max(a, i);
      if (w > 0) {
        index.push(i);
        weight.push(w / scale);
      }
    }
  }
  start[to] = index.length;
  return {index: Int32Array.from(index), weight: Float32Array.from(weight), start};
}

/** `src` [srcRows, srcCols] row-major → [dstRows, dstCols], each no larger than the source's. */
export function areaResample(src: ArrayLike<number>, srcRows: number, srcCols: number, dstRows: number, dstCols: number): Float32Array {
  if (dstRows > srcRows || dstCols > srcCols || dstRows < 1 || dstCols < 1) {
    throw new RangeError(`areaResample shrinks: ${srcRows} × ${srcCols} cannot become ${dstRows} × ${dstCols}`);
  }
  const cw = areaWeights(srcCols, dstCols);
  const rw = areaWeights(srcRows, dstRows);
  const rowsDone = new Float32Array(srcRows * dstCols);
  for (let r = 0; r < srcRows; r++) {
    for (let c = 0; c < dstCols; c++) {
      let sum = 0;
      for (let k = cw.start[c]; k < cw.start[c + 1]; k++) sum += src[r * srcCols + cw.index[k]] * cw.weight[k];
      rowsDone[r * dstCols + c] = sum;
    }
  }
  const out = new Float32Array(dstRows * dstCols);
  for (let r = 0; r < dstRows; r++) {
    for (let k = rw.start[r]; k < rw.start[r + 1]; k++) {
      const w = rw.weight[k], from = rw.index[k] * dstCols;
      for (let c = 0; c < dstCols; c++) out[r * dstCols + c] += rowsDone[from + c] * w;
    }
  }
  return out;
}
