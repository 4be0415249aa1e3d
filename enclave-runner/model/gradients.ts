// Gradients of the TF.js kernels this model uses. The `@tensorflow/tfjs-core` package's Node build
// ships the kernels' gradient table empty (the `@tensorflow/tfjs` bundle fills it; we do not
// depend on it), so autodiff (tf.variableGrads, optimizer.minimize) needs them registered here.
// Same formulas as tfjs-core's src/gradients (Apache-2.0, Google LLC), restricted to what the
// transformer, its loss and a linear head use.
import type { Tensor } from "@tensorflow/tfjs-core";
import type { Tf } from "./tf.ts";

type GradFunc = (dy: Tensor, saved: Tensor[], attrs: Record<string, unknown>) => Record<string, () => Tensor>;
type Config = { kernelName: string; inputsToSave?: string[]; outputsToSave?: boolean[]; gradFunc: GradFunc };

/** Registers the gradients below with TF.js (idempotent; once per thread, registries are per isolate). */
export function registerGradients(tf: Tf): void {
  for (const config of gradientConfigs(tf))
    if (tf.getGradient(config.kernelName) === undefined)
      tf.registerGradient({ ...config, gradFunc: config.gradFunc as never });
}

function gradientConfigs(tf: Tf): Config[] {
  /** Axes of the broadcast output that an input of shape `inShape` was broadcast along. */
  const reductionAxes = (inShape: readonly number[], outShape: readonly number[]): number[] => {
    const axes: number[] = [];
    for (let i = 0; i < outShape.length; i++) {
      const inDim = inShape[inShape.length - i - 1];
      const outAxis = outShape.length - i - 1;
      if (inDim === undefined || (inDim === 1 && (outShape[outAxis] as number) > 1)) axes.unshift(outAxis);
    }
    return axes;
  };
  /** Sums a broadcast gradient back to the input's shape. */
  const unbroadcast = (g: Tensor, shape: readonly number[]): Tensor => {
    const axes = reductionAxes(shape, g.shape);
    return tf.reshape(axes.length > 0 ? tf.sum(g, axes) : g, [...shape]);
  };
  const axesOf = (axis: unknown, rank: number): number[] => {
    const list =
      axis === null || axis === undefined ? [...Array(rank).keys()] : ([] as number[]).concat(axis as number);
    return list.map((a) => (a < 0 ? a + rank : a));
  };
  /** dy of a reduction, reshaped with the reduced axes kept and broadcast to x's shape. */
  const expandReduced = (dy: Tensor, x: Tensor, axis: unknown): Tensor => {
    const shape = [...x.shape];
    for (const a of axesOf(axis, x.rank)) shape[a] = 1;
    return tf.mul(tf.reshape(dy, shape), tf.ones(x.shape, "float32"));
  };
  /** Swaps the last two axes. */
  const swapLast = (x: Tensor): Tensor => {
    const perm = [...x.shape.keys()];
    perm.push(...perm.splice(-2).reverse());
    return tf.transpose(x, perm);
  };
  const saved2 = (saved: Tensor[]): [Tensor, Tensor] => [saved[0] as Tensor, saved[1] as Tensor];
  const saved1 = (saved: Tensor[]): Tensor => saved[0] as Tensor;

  return [
    {
      kernelName: tf.Add,
      inputsToSave: ["a", "b"],
      gradFunc: (dy, saved) => {
        const [a, b] = saved2(saved);
        return { a: () => unbroadcast(dy, a.shape), b: () => unbroadcast(dy, b.shape) };
      },
    },
    {
      kernelName: tf.Sub,
      inputsToSave: ["a", "b"],
      gradFunc: (dy, saved) => {
        const [a, b] = saved2(saved);
        return { a: () => unbroadcast(dy, a.shape), b: () => unbroadcast(tf.neg(dy), b.shape) };
      },
    },
    {
      kernelName: tf.Multiply,
      inputsToSave: ["a", "b"],
      gradFunc: (dy, saved) => {
        const [a, b] = saved2(saved);
        return {
          a: () => unbroadcast(tf.mul(dy, tf.cast(b, "float32")), a.shape),
          b: () => unbroadcast(tf.mul(dy, tf.cast(a, "float32")), b.shape),
        };
      },
    },
    {
      kernelName: tf.RealDiv,
      inputsToSave: ["a", "b"],
      gradFunc: (dy, saved) => {
        const [a, b] = saved2(saved);
        return {
          a: () => unbroadcast(tf.div(dy, b), a.shape),
          b: () => unbroadcast(tf.neg(tf.div(tf.mul(dy, a), tf.square(b))), b.shape),
        };
      },
    },
    {
      kernelName: tf.Square,
      inputsToSave: ["x"],
      gradFunc: (dy, saved) => ({ x: () => tf.mul(dy, tf.mul(saved1(saved), 2)) }),
    },
    { kernelName: tf.Neg, gradFunc: (dy) => ({ x: () => tf.neg(dy) }) },
    { kernelName: tf.Cast, gradFunc: (dy) => ({ x: () => tf.clone(dy) }) },
    { kernelName: tf.Identity, gradFunc: (dy) => ({ x: () => tf.clone(dy) }) },
    {
      kernelName: tf.Reshape,
      inputsToSave: ["x"],
      gradFunc: (dy, saved) => ({ x: () => tf.reshape(dy, saved1(saved).shape) }),
    },
    {
      kernelName: tf.Transpose,
      gradFunc: (dy, _saved, attrs) => {
        const perm = attrs.perm as number[];
        const inverse = new Array<number>(perm.length);
        perm.forEach((p, i) => {
          inverse[p] = i;
        });
        return { x: () => tf.transpose(dy, inverse) };
      },
    },
    {
      kernelName: tf.BatchMatMul,
      inputsToSave: ["a", "b"],
      // Transposes are explicit: the WASM backend runs transposeA/transposeB products 10–40× slower
      // than plain ones (XNNPACK only takes the untransposed path).
      gradFunc: (dy, saved, attrs) => {
        const [a, b] = saved2(saved);
        // With C = op(A)·op(B): dop(A) = dy·op(B)ᵀ and dop(B) = op(A)ᵀ·dy.
        const tA = attrs.transposeA === true;
        const tB = attrs.transposeB === true;
        const opAT = tA ? a : swapLast(a);
        const opBT = tB ? b : swapLast(b);
        return {
          a: () => (tA ? swapLast(tf.matMul(dy, opBT)) : tf.matMul(dy, opBT)),
          b: () => (tB ? swapLast(tf.matMul(opAT, dy)) : tf.matMul(opAT, dy)),
        };
      },
    },
    {
      kernelName: tf.Softmax,
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const y = saved1(saved);
        const dim = attrs.dim as number;
        return { logits: () => tf.mul(y, tf.sub(dy, tf.sum(tf.mul(dy, y), [dim], true))) };
      },
    },
    {
      kernelName: tf.Sum,
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => ({ x: () => expandReduced(dy, saved1(saved), attrs.axis) }),
    },
    {
      kernelName: tf.Mean,
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const x = saved1(saved);
        const n = axesOf(attrs.axis, x.rank).reduce((m, a) => m * (x.shape[a] as number), 1);
        return { x: () => tf.div(expandReduced(dy, x, attrs.axis), n) };
      },
    },
    {
      kernelName: tf.Rsqrt,
      outputsToSave: [true],
      // d/dx x^(−1/2) = −y³/2 with y = x^(−1/2).
      gradFunc: (dy, saved) => {
        const y = saved1(saved);
        return { x: () => tf.mul(dy, tf.mul(tf.mul(tf.mul(y, y), y), -0.5)) };
      },
    },
    {
      kernelName: tf.Tanh,
      outputsToSave: [true],
      gradFunc: (dy, saved) => {
        const y = saved1(saved);
        return { x: () => tf.mul(dy, tf.sub(1, tf.square(y))) };
      },
    },
    {
      kernelName: tf.Slice,
      inputsToSave: ["x"],
      gradFunc: (dy, saved, attrs) => {
        const x = saved1(saved);
        const begin = ([] as number[]).concat(attrs.begin as number | number[]);
        const size = ([] as number[]).concat(attrs.size as number | number[]);
        const paddings = x.shape.map((s, i): [number, number] => {
          const b = begin[i] ?? 0;
          const n = size[i] === undefined || size[i] === -1 ? s - b : (size[i] as number);
          return [b, s - b - n];
        });
        return { x: () => tf.pad(dy, paddings) };
      },
    },
  ];
}
