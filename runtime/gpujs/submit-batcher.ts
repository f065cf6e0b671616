import { WebGPUContext } from 'gpu.js';
import './gpujs-types.ts';

/**
 * One `queue.submit` per burst of kernels on WebGPU.
 *
 * gpu.js submits every kernel run as its own command buffer (about 100 µs per call on an H200,
 * against ~11 µs per dispatch inside one encoder). Its own `createPipeline` batches, but only
 * for host arrays in and out, which would copy a model's parameters every step. So the backend
 * holds the command buffers of consecutive kernel runs and submits them together when its
 * queue drains (the end of a program run), before a read, or when ordering requires.
 *
 * Holding is safe because of how gpu.js uses the queue, and the two cases where it would not be
 * are intercepted on this device's objects only:
 * - `queue.writeBuffer` runs at once, ahead of held command buffers. gpu.js writes a kernel's
 *   parameter uniform (and host-array arguments) right before that kernel's own dispatch, so a
 *   held command only reads what was written for it — unless the same buffer is written a
 *   second time in the burst (the same kernel run twice): then the held commands go first.
 * - A buffer destroyed while a held command uses it would fail the submit: `destroy()` of
 *   buffers made by this device waits for the flush.
 */
export class SubmitBatcher {
  private state: {
    readonly device: GPUDevice;
    readonly queue: GPUQueue;
    readonly submit: (buffers: GPUCommandBuffer[]) => void;
  } | null = null;
  private held: GPUCommandBuffer[] = [];
  private holding = false;
  private written = new Set<GPUBuffer>();
  private destroys: (() => void)[] = [];
  private errors: string[] = [];
  /** Submits made (for tests and benchmarks). */
  submits = 0;
  /** Command buffers submitted. */
  commandBuffers = 0;

  /**
   * Installs the interception on gpu.js's shared device, again when gpu.js has made a new one.
   * Buffers a device made before are not covered, so the backend calls this before its first
   * upload.
   */
  async install(): Promise<void> {
    const { device } = await WebGPUContext.acquire();
    if (this.state?.device === device) return;
    this.held = [];
    this.holding = false;
    this.written = new Set();
    this.destroys = [];
    const queue = device.queue;
    const submit = queue.submit.bind(queue);
    const writeBuffer = queue.writeBuffer.bind(queue);
    const createBuffer = device.createBuffer.bind(device);
    queue.submit = (buffers: Iterable<GPUCommandBuffer>): undefined => {
      const list = [...buffers];
      if (this.holding) this.held.push(...list);
      else this.send(list);
      return undefined;
    };
    queue.writeBuffer = ((buffer: GPUBuffer, ...rest: unknown[]): undefined => {
      if (this.holding) {
        if (this.written.has(buffer)) this.submitHeld();
        this.written.add(buffer);
      }
      Reflect.apply(writeBuffer, queue, [buffer, ...rest]);
      return undefined;
    }) as GPUQueue['writeBuffer'];
    device.createBuffer = (descriptor: GPUBufferDescriptor): GPUBuffer => {
      const buffer = createBuffer(descriptor);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = (): undefined => {
        if (this.holding && this.held.length > 0) this.destroys.push(destroy);
        else destroy();
        return undefined;
      };
      return buffer;
    };
    // gpu.js only logs uncaptured device errors (a failed submit leaves stale data behind);
    // keep them so that the backend's next read can fail with them instead.
    const logged = device.onuncapturederror;
    device.onuncapturederror = (event: GPUUncapturedErrorEvent): void => {
      this.errors.push(event.error.message);
      if (typeof logged === 'function') Reflect.apply(logged, device, [event]);
    };
    this.state = { device, queue, submit };
  }

  /** Device errors reported since the last call (validation, out of memory), oldest first. */
  takeErrors(): string[] {
    const e = this.errors;
    this.errors = [];
    return e;
  }

  private send(list: GPUCommandBuffer[]): void {
    if (list.length === 0 || this.state === null) return;
    this.submits++;
    this.commandBuffers += list.length;
    this.state.submit(list);
  }

  /** Submits what is held and runs the destroys that waited for it; keeps holding. */
  private submitHeld(): void {
    const list = this.held;
    this.held = [];
    this.written = new Set();
    this.send(list);
    const destroys = this.destroys;
    this.destroys = [];
    for (const d of destroys) d();
  }

  /** Called before each kernel run: from here on, submits are held. */
  async beforeKernel(): Promise<void> {
    await this.install();
    this.holding = true;
  }

  /** Submits everything held and stops holding (before reads, and when a backend's queue drains). */
  async flush(): Promise<void> {
    if (this.state === null) return;
    this.submitHeld();
    this.holding = false;
  }

  /** Waits until the device has finished all submitted work. */
  async idle(): Promise<void> {
    if (this.state !== null) await this.state.queue.onSubmittedWorkDone();
  }
}

let shared: SubmitBatcher | null = null;

/** The one batcher of this page/process (gpu.js shares one WebGPU device among all its instances). */
export function sharedSubmitBatcher(): SubmitBatcher {
  shared ??= new SubmitBatcher();
  return shared;
}
