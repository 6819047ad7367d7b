import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** V8's default for `--semi-space-growth-factor` (`node --v8-options`). */
const DEFAULT_GROWTH = 2;
const FLAG = '--semi-space-growth-factor';
const MIB = 1024 * 1024;

/**
 * Keeps V8's young generation small while a large document is read, and lets it grow again
 * afterwards. Reading 100k orders makes ~60 MB of objects that all survive, so V8 grows the young
 * generation to its maximum (two 16 MiB semi-spaces on 64-bit) on the way, and an idle process
 * keeps it: ~20 MB of the idle RSS at 100k orders (docs/benchmarks.md, "Cold start and idle RSS
 * at 100k orders"). `--max-semi-space-size=4` on node's command line has the same effect, but a
 * bin cannot give node flags (`v8.setFlagsFromString` of it after start-up changes nothing:
 * measured), while the growth factor is read each time the young generation grows, so setting it
 * to 1 once the young generation has reached the cap stops it there. The factor goes back to
 * V8's default when the reading ends, so a busy server's young generation grows as before (the
 * API's hot path is not slowed by more scavenges).
 *
 * Left alone when the process was started with its own growth factor (node's flags or
 * NODE_OPTIONS): the value to give back would not be known.
 */
export class YoungGenerationCap {
  /** Caps in force in the process: stores opened side by side (an embedding test suite) share
   * V8's one flag, which goes back to the default when the last of them is released. */
  private static inForce = 0;
  private capped = false;
  private readonly active: boolean;

  /** `semiSpaceMiB`: the semi-space size at which growth stops (the young generation holds two).
   * `v8`: where the flag is set and the young generation's size read (node:v8; a test's recorder). */
  constructor(
    private readonly semiSpaceMiB = 4,
    private readonly v8: { setFlagsFromString(flag: string): void; youngBytes(): number } = { setFlagsFromString, youngBytes },
  ) {
    this.active = ![...process.execArgv, process.env.NODE_OPTIONS ?? ''].some((a) => a.includes(FLAG) || a.includes('--semi_space_growth_factor'));
  }

  /** Call now and then while reading (a few µs): stops the growth once the cap is reached. */
  check(): void {
    if (!this.active || this.capped) return;
    if (this.v8.youngBytes() >= 2 * this.semiSpaceMiB * MIB) {
      this.capped = true;
      if (YoungGenerationCap.inForce++ === 0) this.v8.setFlagsFromString(`${FLAG}=1`);
    }
  }

  /** The reading is over: the young generation may grow again, from the next turn of the event
   * loop on (what the caller builds from the records in this turn, e.g. the gateway's indexes,
   * still fits; measured: releasing at once left ~4 MB more RSS at 100k orders). */
  release(): void {
    if (!this.capped) return;
    this.capped = false;
    setImmediate(() => {
      if (--YoungGenerationCap.inForce === 0) this.v8.setFlagsFromString(`${FLAG}=${DEFAULT_GROWTH}`);
    });
  }
}

/** The young generation's size now. */
function youngBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
