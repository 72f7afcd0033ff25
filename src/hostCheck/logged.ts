import type { Observable } from 'rxjs';
import type { RenderOptions } from '../domain/agentsObject.js';
import { makeProblemFilter } from '../domain/problems.js';
import { quote } from '../domain/safeText.js';
import type { Rendered } from '../domain/types.js';
import { makeOnceLogger } from '../logOnce.js';
import type { Logger } from '../logger.js';
import type { HostChecker } from './checker.js';
import { makeHostCheck } from './hostCheck.js';

/** One line for the start log and the status method: who checks, and how. */
export function describeChecker(checker: HostChecker): string {
  return `checked by ${checker.label}'s own validator, ${checker.how}${checker.everyRender ? ', every render' : ', rosters with openclaw_config'}`;
}

/**
 * The host check with its logging: which checker is in use (once, when it is known), each setting the
 * host makes us leave out warned once (while it stays bad), and "the host cannot be asked" once per
 * episode, with the way back said in one line.
 */
export function makeLoggedHostCheck(
  checker: HostChecker | PromiseLike<HostChecker>,
  render: () => RenderOptions,
  log: Required<Logger>,
): (r: Rendered) => Observable<Rendered> {
  const once = makeOnceLogger(log);
  const fresh = makeProblemFilter();
  let label = 'the host';
  void Promise.resolve(checker).then((c) => {
    label = c.label;
    log.info(`files are ${describeChecker(c)}, before they are written; our own rules stay the floor`);
  });
  return makeHostCheck({
    checker,
    render,
    onProblems: (problems) => fresh(problems).forEach((p) => log.warn(p.message)),
    onUnavailable: (error) => once.warn('host-check', `${label} could not check the file (${quote(error, 200)}); written as our own rules allow`),
    onAvailable: () => {
      if (once.clear('host-check')) log.info(`${label} checks the file again`);
    },
  });
}
