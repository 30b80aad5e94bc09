import type { Result } from '../result.js';

export interface ProcessOptions {
  readonly cwd: string;
  /** Added to the environment (secrets reach scripts this way, never on the command line). */
  readonly env?: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  /** Output as it comes, stdout and stderr interleaved. */
  readonly onOutput: (text: string) => void;
}

export interface ProcessFailure {
  readonly kind: 'notFound' | 'failedToStart';
  readonly message: string;
}

/** Runs a program from an argv array (never a joined shell string). The adapter uses execa. */
export interface ProcessRunner {
  /** Resolves with the exit code (or the signal that ended it); a cancelled run ends the whole process tree. */
  run(
    argv: readonly string[],
    options: ProcessOptions,
  ): Promise<Result<{ readonly exitCode: number; readonly cancelled: boolean }, ProcessFailure>>;
}
