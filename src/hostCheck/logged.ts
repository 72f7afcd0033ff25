import type { Observable } from 'rxjs';
import type { RenderOptions } from '../domain/agentsObject.js';
import { makeProblemFilter } from '../domain/problems.js';
import { quote } from '../domain/safeText.js';
import type { Rendered } from '../domain/types.js';
import { makeOnceLogger } from '../logOnce.js';
import type { Logger } from '../logger.js';
import type { HostChecker } from './checker.js';
import { makeHostCheck, type HostCheckOptions } from './hostCheck.js';

/** One line for the start log and the status method: who checks, and how. */
export function describeChecker(checker: HostChecker): string {
  return `checked by ${checker.label}'s own validator, ${checker.how}${checker.everyRender ? ', every render' : ', rosters with openclaw_config'}`;
}

/**
 * The host check with its logging: which checker is in use (once, when it is known), each setting the
 * host makes us leave out warned once (while it stays bad), "the host cannot be asked" once per
 * episode, with the way back said in one line, and "there is no openclaw.json to check the file in"
 * once per episode too.
 */
export function makeLoggedHostCheck(
  checker: HostChecker | PromiseLike<HostChecker>,
  render: () => RenderOptions,
  log: Required<Logger>,
  where: Pick<HostCheckOptions, 'hostConfig' | 'current'> = {},
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
    ...where,
    onHostConfig: (reason) => {
      if (reason !== undefined) once.warn('host-config', `the file is checked alone, not in the config the host loads: ${reason}`);
      else if (once.clear('host-config')) log.info('the file is checked in the config the host loads again');
    },
    onDebug: (message) => log.debug(message),
    onProblems: (problems) => fresh(problems).forEach((p) => log.warn(p.message)),
    onUnavailable: (error) => once.warn('host-check', `${label} could not check the file (${quote(error, 200)}); written as our own rules allow`),
    onAvailable: () => {
      if (once.clear('host-check')) log.info(`${label} checks the file again`);
    },
  });
}
