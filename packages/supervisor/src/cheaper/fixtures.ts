/**
 * Test fixtures for the cheaper algorithms: default settings, and a fake
 * cluster with a fake clock that applies decisions the way the master will
 * (lowest free slot first; a spawned worker is ready at the next tick).
 */
import { createCheaper, type Cheaper, type CheaperState } from './driver.js';
import type { CheaperAlgoName, CheaperDecision, CheaperInput, CheaperSettings, CheaperWorker } from './types.js';

export function settingsWith(over: Partial<CheaperSettings> = {}): CheaperSettings {
  return {
    processes: 4,
    cheaper: 1,
    cheaperInitial: 1,
    step: 1,
    overload: 3,
    algo: 'spare',
    busynessMax: 50,
    busynessMin: 25,
    multiplier: 10,
    penalty: 2,
    backlogAlert: 33,
    backlogStep: 1,
    idle: 0,
    ...over,
  };
}

export function worker(id: number, over: Partial<CheaperWorker> = {}): CheaperWorker {
  return { id, active: true, running: true, busy: false, elu: 0, spawnedAt: 0, ...over };
}

/** Which workers are busy, and their ELU, as a function of the slot. */
export interface Load {
  busy?: (w: CheaperWorker) => boolean;
  elu?: (w: CheaperWorker) => number;
  listenQueue?: number;
}

export const FULL: Load = { busy: () => true, elu: () => 1 };
export const NONE: Load = { busy: () => false, elu: () => 0 };

export class FakeCluster {
  now = 0;
  listenQueue = 0;
  totalRequests = 0;
  readonly workers: CheaperWorker[];
  readonly cheaper: Cheaper;
  state: CheaperState;
  /** every decision with its time, for assertions on timing */
  readonly history: { now: number; decision: CheaperDecision }[] = [];

  constructor(
    algo: CheaperAlgoName,
    readonly settings: CheaperSettings,
    active: number,
    /** re-read the state through JSON at each tick, to prove it is plain data */
    private readonly viaJson = false,
  ) {
    this.workers = Array.from({ length: settings.processes }, (_, i) =>
      worker(i + 1, { active: i < active, running: i < active }),
    );
    this.cheaper = createCheaper(algo);
    this.state = this.cheaper.initialState();
  }

  input(): CheaperInput {
    return { now: this.now, workers: this.workers.map((w) => ({ ...w })), listenQueue: this.listenQueue, totalRequests: this.totalRequests };
  }

  /** Applies the load, runs one step at the current time, applies the decision. */
  tick(load: Load = NONE): CheaperDecision {
    for (const w of this.workers) {
      w.busy = w.running && (load.busy?.(w) ?? false);
      w.elu = w.running ? (load.elu?.(w) ?? 0) : 0;
    }
    this.listenQueue = load.listenQueue ?? 0;
    const state = this.viaJson ? (JSON.parse(JSON.stringify(this.state)) as CheaperState) : this.state;
    const { state: next, decision } = this.cheaper.step(state, this.input(), this.settings);
    this.state = next;
    this.apply(decision);
    this.history.push({ now: this.now, decision });
    return decision;
  }

  /** Ticks once a second for `seconds` seconds, starting at the current time. */
  run(seconds: number, load: Load = NONE): void {
    for (let i = 0; i < seconds; i++) {
      this.tick(load);
      this.now += 1000;
    }
  }

  activeIds(): number[] {
    return this.workers.filter((w) => w.active).map((w) => w.id);
  }

  /** Times (s) at which something was spawned or retired. */
  spawnTimes(): number[] {
    return this.history.filter((h) => h.decision.spawn > 0).map((h) => h.now / 1000);
  }

  retireTimes(): number[] {
    return this.history.filter((h) => h.decision.retire.length > 0).map((h) => h.now / 1000);
  }

  retired(): number[] {
    return this.history.flatMap((h) => h.decision.retire);
  }

  logs(): string[] {
    return this.history.flatMap((h) => h.decision.log);
  }

  private apply(d: CheaperDecision): void {
    for (const id of d.retire) {
      const w = this.workers[id - 1]!;
      w.active = false;
      w.running = false;
    }
    let n = d.spawn;
    for (const w of this.workers) {
      if (n === 0) break;
      if (w.active || w.running) continue;
      Object.assign(w, { active: true, running: true, spawnedAt: this.now });
      n--;
    }
  }
}
