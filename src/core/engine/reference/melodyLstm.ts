// SPDX-License-Identifier: MIT
/**
 * The melody LSTM in float64 from the reference layers, unfused (no folded embedding): Embedding -> LSTM x layers
 * (the last one's final step only) -> Dense -> mean softmax cross-entropy on the next token. Dropout is not
 * modelled (tests compare at dropout 0). It is the test oracle: the one melody model (../../model/melodyLstm.ts),
 * which folds the first projection, must give the same numbers on every backend (test/core/engine.model.test.ts).
 */
import type { MelodyLstmSpec } from '../../model/spec';
import {
  refDenseBackward,
  refDenseForward,
  refEmbeddingBackward,
  refEmbeddingForward,
  refLstmBackward,
  refLstmForward,
  refSoftmaxCrossEntropy,
  refSoftmaxCrossEntropyBackward,
  type RefLstmTrace,
} from './layers';

export type Weights64 = Record<string, Float64Array>;

/** Loss and gradients (same names as the weights) for inputs (B,T) and targets (B). */
export function refMelodyLossAndGradients(
  spec: MelodyLstmSpec,
  w: Weights64,
  inputs: ArrayLike<number>,
  targets: ArrayLike<number>,
  batch: number,
): { loss: number; grads: Weights64 } {
  const T = inputs.length / batch;
  const H = spec.hiddenSize;
  const E = spec.embeddingDim;
  const emb = refEmbeddingForward(inputs, w['embedding/embeddings'], E);
  const layerInputs: Float64Array[] = [emb];
  const traces: RefLstmTrace[] = [];
  for (let k = 1; k <= spec.layers; k++) {
    const inDim = k === 1 ? E : H;
    const trace = refLstmForward(layerInputs[k - 1], lstmWeights(w, k), {
      batch,
      time: T,
      inDim,
      hidden: H,
      reverse: false,
    });
    traces.push(trace);
    layerInputs.push(trace.hs);
  }
  const last = new Float64Array(batch * H);
  for (let b = 0; b < batch; b++)
    last.set(traces[spec.layers - 1].hs.subarray((b * T + T - 1) * H, (b * T + T) * H), b * H);
  const logits = refDenseForward(last, w['dense/kernel'], w['dense/bias'], batch, H, spec.vocabSize);
  const { loss, probs } = refSoftmaxCrossEntropy(logits, targets, spec.vocabSize);

  const grads: Weights64 = {};
  const dlogits = refSoftmaxCrossEntropyBackward(probs, targets, spec.vocabSize);
  const dense = refDenseBackward(dlogits, last, w['dense/kernel'], batch, H, spec.vocabSize);
  grads['dense/kernel'] = dense.dweight;
  grads['dense/bias'] = dense.dbias;
  let dhs: Float64Array = new Float64Array(batch * T * H);
  for (let b = 0; b < batch; b++) dhs.set(dense.dinp.subarray(b * H, (b + 1) * H), (b * T + T - 1) * H);
  for (let k = spec.layers; k >= 1; k--) {
    const inDim = k === 1 ? E : H;
    const g = refLstmBackward(dhs, layerInputs[k - 1], lstmWeights(w, k), traces[k - 1], {
      batch,
      time: T,
      inDim,
      hidden: H,
      reverse: false,
    });
    grads[`lstm_${k}/kernel`] = g.dkernel;
    grads[`lstm_${k}/recurrent_kernel`] = g.drecurrent;
    grads[`lstm_${k}/bias`] = g.dbias;
    dhs = g.dinp;
  }
  const dEmb = new Float64Array(spec.vocabSize * E);
  refEmbeddingBackward(dEmb, dhs, inputs, E);
  grads['embedding/embeddings'] = dEmb;
  return { loss, grads };
}

function lstmWeights(w: Weights64, k: number) {
  return { kernel: w[`lstm_${k}/kernel`], recurrent: w[`lstm_${k}/recurrent_kernel`], bias: w[`lstm_${k}/bias`] };
}
