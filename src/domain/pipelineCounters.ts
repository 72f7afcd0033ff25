/**
 * The counters a running pipeline keeps, named once: the pipeline's status, its zero state and the
 * status method's report are all derived from {@link PIPELINE_COUNTERS}, so a new counter is one
 * entry here (and the place in the flow that counts it).
 */

/** Every counter, in the order the status report lists them. */
export const PIPELINE_COUNTERS = ['snapshots', 'writes', 'reconnects', 'driftRepairs', 'reconciles', 'restarts'] as const;

/** One counter's name. */
export type PipelineCounter = (typeof PIPELINE_COUNTERS)[number];

/** Every counter with its value: snapshots read, files written, reconnections, drift repairs, reconcile ticks, restarts. */
export type PipelineCounters = Record<PipelineCounter, number>;

/** A new pipeline's counters: all zero. */
export function zeroCounters(): PipelineCounters {
  return countersOf(undefined);
}

/** The counters of `status` (0 for none, or when there is no pipeline), in {@link PIPELINE_COUNTERS} order, nothing else. */
export function countersOf(status: Partial<PipelineCounters> | undefined): PipelineCounters {
  const out = {} as PipelineCounters;
  for (const name of PIPELINE_COUNTERS) out[name] = status?.[name] ?? 0;
  return out;
}
