import type { StepState } from '../run/runModel.js';

export interface StepStatus {
  readonly state: StepState;
  readonly durationMs?: number;
  readonly summary?: string;
}

/** What changed: one step of a scenario, or (no step) every step of it. */
export interface StepStatesChange {
  readonly scenarioId: string;
  readonly step?: number;
}

/** The live state of every step of every scenario, for the tree: `scenarioId` + step number. */
export class StepStates {
  private readonly states = new Map<string, StepStatus>();
  private readonly listeners = new Set<(change: StepStatesChange) => void>();

  get(scenarioId: string, step: number): StepStatus {
    return this.states.get(`${scenarioId}#${step}`) ?? { state: 'pending' };
  }

  set(scenarioId: string, step: number, status: StepStatus): void {
    this.states.set(`${scenarioId}#${step}`, status);
    for (const l of this.listeners) l({ scenarioId, step });
  }

  /** Back to pending, every step of the scenario. */
  reset(scenarioId: string): void {
    for (const key of [...this.states.keys()]) if (key.startsWith(`${scenarioId}#`)) this.states.delete(key);
    for (const l of this.listeners) l({ scenarioId });
  }

  onChange(listener: (change: StepStatesChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}
