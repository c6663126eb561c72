/**
 * Training loss: L1 + α · projected distribution loss (PDL). PDL sorts the
 * values of prediction and target per sample and channel and takes the mean
 * absolute difference: the 1-D Wasserstein-1 distance between the two
 * intensity distributions, which penalises the washed-out look L1 alone favours.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Sorts each row of x (descending), with a gradient: tf.topk has none. The
 * backward pass sends each output gradient back to the input position it came
 * from (a permutation, inverted by sorting the indices).
 */
export const sortRows = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const n = x.shape[1]!;
  const {values, indices} = tf.topk(x as tf.Tensor2D, n);
  save([indices]);
  return {
    value: values,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const inverse = tf.topk(tf.neg(tf.cast(saved[0], 'float32')), n).indices; // argsort of the permutation
      return tf.gather(dy, inverse, 1, 1);
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor2D) => tf.Tensor2D;

/** Mean |sorted(pred) − sorted(target)| per sample and channel, averaged. Inputs NHWC. */
export function projectedDistributionLoss(pred: tf.Tensor4D, target: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => {
    const [b, h, w, c] = pred.shape;
    const rows = (t: tf.Tensor4D) => tf.reshape(tf.transpose(t, [0, 3, 1, 2]), [b * c, h * w]) as tf.Tensor2D;
    const sortedTarget = tf.topk(rows(target), h * w).values;
    return tf.mean(tf.abs(tf.sub(sortRows(rows(pred)), sortedTarget))) as tf.Scalar;
  });
}

export function l1Loss(pred: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.abs(tf.sub(pred, target))) as tf.Scalar;
}

export interface LossParts {
  total: tf.Scalar;
  l1: tf.Scalar;
  pdl: tf.Scalar;
}

export function a2iLoss(pred: tf.Tensor4D, target: tf.Tensor4D, alpha = 0.01): LossParts {
  const l1 = l1Loss(pred, target);
  const pdl = projectedDistributionLoss(pred, target);
  return {total: tf.add(l1, tf.mul(pdl, alpha)) as tf.Scalar, l1, pdl};
}
