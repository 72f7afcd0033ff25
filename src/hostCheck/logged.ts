import type { Observable } from 'rxjs';
import type { RenderOptions } from '../domain/agentsObject.js';
import { makeProblemFilter } from '../domain/problems.js';
import { quote } from '../domain/safeText.js';
import type { Rendered } from '../domain/types.js';
import { makeOnceLogger } from '../logOnce.js';
import type { Logger } from '../logger.js';
import { makeHostCheck } from './hostCheck.js';
import type { OpenclawCommand } from './openclawValidate.js';

/**
 * The host check with its logging: each setting the host makes us leave out is warned once (while
 * it stays bad), and "the host cannot be asked" once per episode, with the way back said in one line.
 */
export function makeLoggedHostCheck(command: OpenclawCommand, render: () => RenderOptions, log: Required<Logger>): (r: Rendered) => Observable<Rendered> {
  const once = makeOnceLogger(log);
  const fresh = makeProblemFilter();
  log.info(`files are checked by ${command.label}'s own schema (config validate) before they are written; our own rules stay the floor`);
  return makeHostCheck({
    command,
    render,
    onProblems: (problems) => fresh(problems).forEach((p) => log.warn(p.message)),
    onUnavailable: (error) => once.warn('host-check', `${command.label} could not check the file (${quote(error, 200)}); written as our own rules allow`),
    onAvailable: () => {
      if (once.clear('host-check')) log.info(`${command.label} checks the file again`);
    },
  });
}
