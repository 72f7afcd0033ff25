import type { ValidateOutcome } from './openclawValidate.js';
import { validateWithOpenclaw, type OpenclawCommand } from './openclawValidate.js';

/**
 * Who checks a file for the host (docs/design.md §10): the host's own validator loaded into this process, or
 * its CLI run as a child (`openclaw config validate --json`). The host-check stage asks one of these.
 */
export interface HostChecker {
  /** How messages name the host: "OpenClaw 2026.9.6", "openclaw (/usr/bin/openclaw)". */
  label: string;
  /** How it checks, for the start line and the status method: "in process (dist/config/config.js validateConfigObject)". */
  how: string;
  /**
   * True: every render is checked (the in-process validator, milliseconds; the CLI's child process).
   * False: only rosters holding free-form settings (`openclaw_config`) — the gateway's child-process
   * fallback, which costs seconds a call.
   */
  everyRender: boolean;
  /** The host's verdict on a whole config (the merged config it would load, or `{agents}`), or why it could not be asked. Never throws. */
  validate(config: Record<string, unknown>, signal: AbortSignal): Promise<ValidateOutcome>;
}

/**
 * The host's CLI as a checker: `openclaw config validate --json` on a temporary copy (1.7–2.4 s a call).
 * In the gateway it is the fallback of the in-process validator and asks only about rosters with
 * free-form settings (a sync stays fast); the CLI asks it about every render (`everyRender`).
 */
export function subprocessChecker(command: OpenclawCommand, validate = validateWithOpenclaw, everyRender = false): HostChecker {
  return {
    label: command.label,
    how: 'a child process (openclaw config validate --json)',
    everyRender,
    validate: (config, signal) => validate(command, config, { signal }),
  };
}
