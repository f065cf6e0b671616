import type { IPipelineRunShortcut } from 'gpu.js';
import { resultLength } from '../../compiler/codegen/gpujs/source.ts';
import type { GpujsDevice } from './device.ts';
import { deviceResidentModes, flattenOutput } from './device.ts';
import type { DeviceBuffer, GpujsKernel, KernelArgument } from './kernel.ts';
import { upload } from './kernel.ts';

/**
 * A sequence of kernels run as one unit ("plan"): inputs in, chosen step results out.
 *
 * On webgpu and webasm the plan becomes a `gpu.createPipeline`: traced once, then replayed as
 * one WebGPU command encoder (`fused-encoder`, about 10 µs per dispatch on an H200 against
 * ~100 µs per separate call) or over one wasm memory (`fused-sync`/`fused-threaded`).
 * Elsewhere, and for plans gpu.js cannot fuse (a vector `Array(n)` result feeding another
 * step), the steps run one by one with device-resident intermediates (`sequential`).
 * Which executor ran, and why a plan was not fused, is reported with every result.
 */

/** Where a step argument comes from. */
export type PlanValue =
  /** Plan input number `input` (an array or a per-call scalar). */
  | { readonly input: number }
  /** The result of step number `step` (an earlier step). */
  | { readonly step: number }
  /** A scalar fixed when the plan is built (frozen into a fused plan at trace time). */
  | { readonly scalar: number };

export interface PlanStep {
  readonly kernel: GpujsKernel;
  readonly args: readonly PlanValue[];
}

export interface KernelPlan {
  readonly name: string;
  readonly inputCount: number;
  readonly steps: readonly PlanStep[];
  /** Steps whose results the plan returns, in order. */
  readonly outputs: readonly number[];
}

export type PlanExecutor = 'fused-encoder' | 'fused-sync' | 'fused-threaded' | 'generic' | 'sequential';

export interface PlanResult {
  readonly outputs: readonly Float32Array[];
  readonly executor: PlanExecutor;
  /** Why the plan did not run fused; null when it did. */
  readonly reason: string | null;
}

export interface CompiledPlan {
  readonly plan: KernelPlan;
  /** Runs the plan; inputs are Float32Arrays or numbers, by plan input number. */
  run(inputs: readonly (Float32Array | number)[]): Promise<PlanResult>;
  destroy(): Promise<void>;
}

/** Everything structurally wrong with a plan (forward references, bad indices). */
export function planProblems(plan: KernelPlan, mode: string): string[] {
  const problems: string[] = [];
  plan.steps.forEach((step, i) => {
    if (step.kernel.mode !== mode) problems.push(`step ${i} (${step.kernel.source.name}) is a ${step.kernel.mode} kernel on a ${mode} device`);
    if (step.args.length !== step.kernel.source.args.length) {
      problems.push(`step ${i} (${step.kernel.source.name}) passes ${step.args.length} arguments, the kernel takes ${step.kernel.source.args.length}`);
    }
    step.args.forEach((v, j) => {
      if ('step' in v && !(v.step >= 0 && v.step < i)) problems.push(`step ${i} argument ${j} refers to step ${v.step}, which does not run before it`);
      if ('input' in v && !(v.input >= 0 && v.input < plan.inputCount)) problems.push(`step ${i} argument ${j} refers to missing input ${v.input}`);
      const producer = 'step' in v ? plan.steps[v.step] : undefined;
      if (producer !== undefined && producer.kernel.source.components > 1 && mode !== 'webgpu' && deviceResidentModes.some((m) => m === mode)) {
        problems.push(`step ${i} reads the Array(${producer.kernel.source.components}) result of ${producer.kernel.source.name}, which gpu.js cannot index as floats on ${mode}; emit a block-1 kernel`);
      }
    });
  });
  for (const o of plan.outputs) if (!(o >= 0 && o < plan.steps.length)) problems.push(`output refers to missing step ${o}`);
  return problems;
}

/** Why gpu.js's fused executors cannot take this plan on this device, or null. */
function fusionObstacle(device: GpujsDevice, plan: KernelPlan): string | null {
  if (device.mode !== 'webgpu' && device.mode !== 'webasm') return `gpu.js fuses plans only on webgpu and webasm, not ${device.mode}`;
  for (const step of plan.steps) {
    for (const v of step.args) {
      if ('step' in v && plan.steps[v.step]!.kernel.source.components > 1) {
        return `step ${plan.steps[v.step]!.kernel.source.name} returns Array(${plan.steps[v.step]!.kernel.source.components}), which gpu.js cannot feed to another step of a fused plan`;
      }
    }
  }
  return null;
}

/** Compiles a plan for `device`; throws on a malformed plan. */
export function compilePlan(device: GpujsDevice, plan: KernelPlan): CompiledPlan {
  const problems = planProblems(plan, device.mode);
  if (problems.length > 0) throw new Error(`plan ${plan.name}: ${problems.join('; ')}`);
  const obstacle = fusionObstacle(device, plan);
  return obstacle === null ? fusedPlan(device, plan) : sequentialPlan(device, plan, obstacle);
}

function fusedPlan(device: GpujsDevice, plan: KernelPlan): CompiledPlan {
  // The orchestration runs once, at trace time, with opaque handles; calls are recorded.
  const orchestrate = function (...inputs: unknown[]): Record<string, unknown> {
    const results: unknown[] = [];
    for (const step of plan.steps) {
      const args = step.args.map((v) => ('input' in v ? inputs[v.input] : 'step' in v ? results[v.step] : v.scalar));
      results.push(Reflect.apply(step.kernel.shortcut, undefined, args));
    }
    const out: Record<string, unknown> = {};
    plan.outputs.forEach((s, i) => (out[`o${i}`] = results[s]));
    return out;
  };
  // gpu.js sizes the trace by the function's declared parameter count.
  Object.defineProperty(orchestrate, 'length', { value: plan.inputCount });
  const pipeline: IPipelineRunShortcut = device.gpu.createPipeline(orchestrate);
  return {
    plan,
    async run(inputs) {
      if (inputs.length !== plan.inputCount) throw new Error(`plan ${plan.name}: ${inputs.length} inputs, expected ${plan.inputCount}`);
      const result: unknown = await Reflect.apply(pipeline, undefined, [...inputs]);
      const outputs = plan.outputs.map((s, i) => {
        const value: unknown = result !== null && typeof result === 'object' ? Reflect.get(result, `o${i}`) : undefined;
        return flattenOutput(value, resultLength(plan.steps[s]!.kernel.source));
      });
      const kind = pipeline.executorKind;
      const executor: PlanExecutor = kind === 'fused-encoder' || kind === 'fused-sync' || kind === 'fused-threaded' ? kind : 'generic';
      return { outputs, executor, reason: executor === 'generic' ? (pipeline.fallbackReason ?? 'gpu.js chose its generic executor') : null };
    },
    destroy: () => pipeline.destroy(),
  };
}

function sequentialPlan(device: GpujsDevice, plan: KernelPlan, reason: string): CompiledPlan {
  // The last step that reads each step's result: intermediates are released right after it.
  const lastUse = plan.steps.map(() => -1);
  plan.steps.forEach((step, i) => step.args.forEach((v) => 'step' in v && (lastUse[v.step] = i)));
  const kept = new Set(plan.outputs);
  return {
    plan,
    async run(inputs) {
      if (inputs.length !== plan.inputCount) throw new Error(`plan ${plan.name}: ${inputs.length} inputs, expected ${plan.inputCount}`);
      // Each array input goes to the device once, however many steps read it.
      const uploaded = await Promise.all(inputs.map((x) => (typeof x === 'number' ? x : upload(device, x))));
      const results: (DeviceBuffer | null)[] = [];
      try {
        for (const [i, step] of plan.steps.entries()) {
          const args = step.args.map((v): KernelArgument => {
            if ('scalar' in v) return v.scalar;
            const value = 'input' in v ? uploaded[v.input]! : results[v.step];
            if (value === null || value === undefined) throw new Error(`plan ${plan.name}: step ${i} reads a released result`);
            return value;
          });
          results.push(await step.kernel.run(args));
          step.args.forEach((v) => {
            if ('step' in v && lastUse[v.step] === i && !kept.has(v.step)) {
              results[v.step]?.release();
              results[v.step] = null;
            }
          });
        }
        const outputs: Float32Array[] = [];
        for (const s of plan.outputs) outputs.push(await results[s]!.read());
        return { outputs, executor: 'sequential', reason };
      } finally {
        for (const r of results) r?.release();
        for (const u of uploaded) if (typeof u !== 'number') u.release();
      }
    },
    async destroy() {},
  };
}
