import { execa } from 'execa';
import { err, ok, type Result } from '../../core/result.js';
import type { ProcessFailure, ProcessOptions, ProcessRunner } from '../../core/execution/ports.js';

/**
 * ProcessRunner over execa. The child leads a process group of its own, so that Cancel ends the
 * whole tree (a script's pg_restore, kubectl exec, ...), first with SIGTERM, then SIGKILL.
 */
export class ExecaRunner implements ProcessRunner {
  constructor(private readonly killGraceMs = 3_000) {}

  async run(
    argv: readonly string[],
    options: ProcessOptions,
  ): Promise<Result<{ exitCode: number; cancelled: boolean }, ProcessFailure>> {
    const [file, ...args] = argv;
    if (!file) return err({ kind: 'failedToStart', message: 'Nothing to run: the command is empty.' });
    if (options.signal.aborted) return ok({ exitCode: 130, cancelled: true });
    const child = execa(file, args, {
      cwd: options.cwd,
      env: { ...options.env },
      extendEnv: true,
      detached: true,
      reject: false,
      stdin: 'ignore',
      all: true,
      buffer: false,
      stripFinalNewline: false,
    });
    const decoder = new TextDecoder();
    child.all?.on('data', (chunk: Buffer) => options.onOutput(decoder.decode(chunk, { stream: true })));
    const killTree = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let forceKill: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      killTree('SIGTERM');
      forceKill = setTimeout(() => killTree('SIGKILL'), this.killGraceMs);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await child;
      const tail = decoder.decode();
      if (tail) options.onOutput(tail);
      if (options.signal.aborted) return ok({ exitCode: result.exitCode ?? 130, cancelled: true });
      const code = (result as { code?: string }).code;
      if (result.failed && result.exitCode === undefined) {
        return err({
          kind: code === 'ENOENT' ? 'notFound' : 'failedToStart',
          message:
            code === 'ENOENT'
              ? `${file} was not found (is it installed and on the PATH?).`
              : `${file} could not be started: ${result.shortMessage}`,
        });
      }
      return ok({ exitCode: result.exitCode ?? 1, cancelled: false });
    } finally {
      options.signal.removeEventListener('abort', onAbort);
      if (forceKill) clearTimeout(forceKill);
    }
  }
}
