import type { TsgiConfig } from '@tsgi/config';
import type { CheaperSettings } from './types.js';

type CheaperConfig = Pick<
  TsgiConfig,
  | 'processes'
  | 'cheaper'
  | 'cheaperInitial'
  | 'cheaperStep'
  | 'cheaperOverload'
  | 'cheaperAlgo'
  | 'cheaperBusynessMax'
  | 'cheaperBusynessMin'
  | 'cheaperBusynessMultiplier'
  | 'cheaperBusynessPenalty'
  | 'cheaperBusynessBacklogAlert'
  | 'cheaperBusynessBacklogStep'
  | 'idle'
>;

/** The `cheaper-*` and `idle` options of a loaded config, as the algorithms read them. */
export function cheaperSettings(cfg: CheaperConfig, verbose = false): CheaperSettings {
  return {
    processes: cfg.processes,
    cheaper: cfg.cheaper,
    cheaperInitial: cfg.cheaperInitial,
    step: cfg.cheaperStep,
    overload: cfg.cheaperOverload,
    algo: cfg.cheaperAlgo,
    busynessMax: cfg.cheaperBusynessMax,
    busynessMin: cfg.cheaperBusynessMin,
    multiplier: cfg.cheaperBusynessMultiplier,
    penalty: cfg.cheaperBusynessPenalty,
    backlogAlert: cfg.cheaperBusynessBacklogAlert,
    backlogStep: cfg.cheaperBusynessBacklogStep,
    idle: cfg.idle,
    verbose,
  };
}
