// SPDX-License-Identifier: MIT
/**
 * The shape checks of the layer interface (./backend.ts), written once: every engine runs the same check before an
 * op, so each refuses the same wiring mistake with the same sentence (BackendShapeError, code BACKEND_SHAPE_MISMATCH).
 * Each function takes the op's own arguments; the ops whose checks differ by engine (dense, lstmStep, the recurrence)
 * keep theirs beside their code.
 */
import { checkShape, type IntTensor, type Tensor } from './backend';

type Dims4 = readonly [number, number, number, number];

export const checkOpShapes = {
  write(t: Tensor | IntTensor, values: ArrayLike<number>, op: 'write' | 'writeInt' = 'write'): void {
    checkShape(values.length === t.size, op, () => `${values.length} values for a tensor of ${t.size}`);
  },
  embeddingForward(out: Tensor, tokens: IntTensor, table: Tensor): void {
    const C = table.shape[1];
    checkShape(
      out.size === tokens.size * C,
      'embeddingForward',
      () => `out has ${out.size} values, not ${tokens.size}x${C}`,
    );
  },
  embeddingBackward(dtable: Tensor, dout: Tensor, tokens: IntTensor): void {
    const C = dtable.shape[1];
    checkShape(
      dout.size === tokens.size * C,
      'embeddingBackward',
      () => `dout has ${dout.size} values, not ${tokens.size}x${C}`,
    );
  },
  timeStep(out: Tensor, seq: Tensor, t: number): void {
    const [B, T] = seq.shape;
    const C = seq.size / (B * T);
    checkShape(
      out.size === B * C && t >= 0 && t < T,
      'timeStep',
      () => `out ${out.size} for (${B},${T},${C}) at t=${t}`,
    );
  },
  concatLast(out: Tensor, a: Tensor, b: Tensor): void {
    const N = a.shape[0];
    const A = a.size / N;
    const Bc = b.size / N;
    checkShape(out.size === N * (A + Bc), 'concatLast', () => `out ${out.size} for ${N}x(${A}+${Bc})`);
  },
  splitLastBackward(da: Tensor, db: Tensor, dout: Tensor): void {
    const N = da.shape[0];
    const A = da.size / N;
    const Bc = db.size / N;
    checkShape(dout.size === N * (A + Bc), 'splitLastBackward', () => `dout ${dout.size} for ${N}x(${A}+${Bc})`);
  },
  swapMiddle(out: Tensor, inp: Tensor, dims: Dims4): void {
    const n = dims[0] * dims[1] * dims[2] * dims[3];
    checkShape(
      out.size === n && inp.size === n,
      'swapMiddle',
      () => `out ${out.size}, inp ${inp.size} for ${dims.join('x')}`,
    );
  },
  swapMiddleBackward(dinp: Tensor, dout: Tensor, dims: Dims4): void {
    const n = dims[0] * dims[1] * dims[2] * dims[3];
    checkShape(
      dinp.size === n && dout.size === n,
      'swapMiddleBackward',
      () => `dinp ${dinp.size}, dout ${dout.size} for ${dims.join('x')}`,
    );
  },
  multiply(out: Tensor, a: Tensor, b: Tensor): void {
    checkShape(out.size === a.size && a.size === b.size, 'multiply', () => `sizes ${out.size}, ${a.size}, ${b.size}`);
  },
  softmaxCrossEntropyForward(probs: Tensor, logits: Tensor, targets: IntTensor): void {
    const rows = targets.size;
    const V = logits.size / rows;
    checkShape(
      probs.size === logits.size && Number.isInteger(V),
      'softmaxCrossEntropyForward',
      () => `logits ${logits.size} for ${rows} targets`,
    );
  },
  sigmoidBceForward(probs: Tensor, logits: Tensor, targets: Tensor, weights?: Tensor): void {
    const n = logits.size;
    checkShape(
      probs.size === n && targets.size === n && (!weights || weights.size === n),
      'sigmoidBceForward',
      () => `sizes ${probs.size}, ${n}, ${targets.size}${weights ? `, weights ${weights.size}` : ''}`,
    );
  },
  sigmoidBceBackward(dlogits: Tensor, probs: Tensor, targets: Tensor, weights?: Tensor): void {
    const n = probs.size;
    checkShape(
      dlogits.size === n && targets.size === n && (!weights || weights.size === n),
      'sigmoidBceBackward',
      () => `sizes ${dlogits.size}, ${n}, ${targets.size}${weights ? `, weights ${weights.size}` : ''}`,
    );
  },
};
