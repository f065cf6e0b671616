/**
 * Allocator over a (shared, 32-bit) `WebAssembly.Memory`: a bump arena with free lists by size
 * class, growing the memory on demand.
 *
 * - Sizes round up to a class: multiples of 64 bytes up to 4 KiB, then four classes per power
 *   of two (at most 25% waste). A freed block goes to its class's free list and is reused
 *   first-in-last-out by the next allocation of that class: training reuses the same sizes
 *   every step, so a step allocates nothing new after the first.
 * - Freeing the block at the top of the arena lowers the top (and swallows free blocks that
 *   become the top), so stack-like use returns memory to the bump region.
 * - Every block starts on a 64-byte boundary (a cache line; f32x4 needs 16).
 */

/** Alignment and smallest class, in bytes. */
export const ARENA_ALIGN = 64;
const PAGE = 65536;
const SMALL_LIMIT = 4096;

/** The size class of a request in bytes: what the block really occupies. */
export function sizeClass(bytes: number): number {
  if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`cannot allocate ${bytes} bytes`);
  const n = Math.max(bytes, 1);
  if (n <= SMALL_LIMIT) return Math.ceil(n / ARENA_ALIGN) * ARENA_ALIGN;
  const e = Math.floor(Math.log2(n - 1)); // 2^e < n ≤ 2^(e+1)
  const quarter = 2 ** (e - 2);
  return 2 ** e + Math.ceil((n - 2 ** e) / quarter) * quarter;
}

/** Usage figures of an arena, in bytes. */
export interface ArenaStats {
  /** Bytes in live blocks (by class size). */
  readonly live: number;
  /** Bytes in free lists. */
  readonly free: number;
  /** End of the bump region. */
  readonly top: number;
  /** Current size of the memory. */
  readonly memoryBytes: number;
}

/** A bump arena with per-class free lists over `memory`, allocating from `base` upward. */
export class Arena {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** live block offset → class size */
  private readonly live = new Map<number, number>();
  /** free block end → offset, to lower the top over trailing free blocks */
  private readonly freeByEnd = new Map<number, number>();
  private freeBytes = 0;
  private liveBytes = 0;

  /**
   * @param memory the memory to carve up (grown as needed up to its maximum)
   * @param base first byte the arena may use (rounded up to {@link ARENA_ALIGN})
   * @param maxBytes upper bound of the memory (its declared maximum), for error messages and checks
   */
  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    private readonly maxBytes: number,
  ) {
    this.top = Math.ceil(base / ARENA_ALIGN) * ARENA_ALIGN;
  }

  /** Allocates a block of at least `bytes` bytes; returns its byte offset. */
  alloc(bytes: number): number {
    const size = sizeClass(bytes);
    const list = this.freeLists.get(size);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.freeByEnd.delete(reused + size);
      this.freeBytes -= size;
      this.markLive(reused, size);
      return reused;
    }
    const offset = this.top;
    this.ensure(offset + size);
    this.top = offset + size;
    this.markLive(offset, size);
    return offset;
  }

  /** Frees a block returned by {@link alloc}; freeing anything else throws. */
  free(offset: number): void {
    const size = this.live.get(offset);
    if (size === undefined) throw new Error(`free(${offset}): not a live block (double free or foreign offset)`);
    this.live.delete(offset);
    this.liveBytes -= size;
    if (offset + size === this.top) {
      this.top = offset;
      this.lowerTopOverFreeBlocks();
      return;
    }
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(offset);
    this.freeByEnd.set(offset + size, offset);
    this.freeBytes += size;
  }

  /** The class size of a live block (its usable bytes). */
  sizeOf(offset: number): number {
    const size = this.live.get(offset);
    if (size === undefined) throw new Error(`sizeOf(${offset}): not a live block`);
    return size;
  }

  /** Whether `offset` is the start of a live block. */
  isLive(offset: number): boolean {
    return this.live.has(offset);
  }

  stats(): ArenaStats {
    return { live: this.liveBytes, free: this.freeBytes, top: this.top, memoryBytes: this.memory.buffer.byteLength };
  }

  private markLive(offset: number, size: number): void {
    this.live.set(offset, size);
    this.liveBytes += size;
  }

  private lowerTopOverFreeBlocks(): void {
    for (;;) {
      const below = this.freeByEnd.get(this.top);
      if (below === undefined) return;
      const size = this.top - below;
      this.freeByEnd.delete(this.top);
      const list = this.freeLists.get(size);
      const at = list ? list.lastIndexOf(below) : -1;
      if (list && at >= 0) list.splice(at, 1);
      this.freeBytes -= size;
      this.top = below;
    }
  }

  /** Grows the memory so that `end` bytes exist: at least 25% more each time, to amortise. */
  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.maxBytes) {
      throw new RangeError(
        `out of WebAssembly memory: need ${end} bytes, the memory's maximum is ${this.maxBytes} bytes`,
      );
    }
    const needPages = Math.ceil((end - have) / PAGE);
    const maxPages = Math.floor(this.maxBytes / PAGE) - have / PAGE;
    const pages = Math.min(maxPages, Math.max(needPages, Math.ceil(have / PAGE / 4)));
    try {
      this.memory.grow(pages);
    } catch (e) {
      throw new RangeError(`out of WebAssembly memory: growing by ${pages} pages failed (${String(e)})`);
    }
  }
}
