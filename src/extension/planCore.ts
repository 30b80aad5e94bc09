import { join } from 'node:path';
import type * as PlanCoreBundle from './planCoreBundle.js';

let loaded: typeof PlanCoreBundle | undefined;

/**
 * The plan's core (src/extension/planCoreBundle.ts, a bundle of its own: dist/plan.cjs), loaded
 * on first use, which is the first read of the plan right after activation: activation itself
 * loads only what registers the tree and the commands.
 */
export function planCore(): typeof PlanCoreBundle {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazily loaded sibling bundle
  loaded ??= require(join(__dirname, 'plan.cjs')) as typeof PlanCoreBundle;
  return loaded;
}
