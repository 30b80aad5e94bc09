import { join } from 'node:path';
import type * as Adapters from '../../adapters/bundle.js';

let loaded: typeof Adapters | undefined;

/** The adapters bundle, loaded on first use (never at activation). */
export function adapters(): typeof Adapters {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazily loaded sibling bundle
  loaded ??= require(join(__dirname, 'adapters.cjs')) as typeof Adapters;
  return loaded;
}
