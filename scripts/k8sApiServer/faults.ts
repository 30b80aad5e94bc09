/**
 * Fault injection on request: added latency, error answers (5xx, 429, ...) for matching requests,
 * dropped watch and log streams, and forced conflicts.
 */
import type { ServerResponse } from 'node:http';
import { ApiError } from './status.ts';

/** Which requests a fault applies to. Omitted fields match everything. */
export interface RequestMatch {
  /** HTTP method, e.g. `PATCH`. */
  method?: string;
  /** Substring of, or regular expression for, the request path (without the query). */
  path?: string | RegExp;
  /** Only watch requests (`true`) or only non-watch requests (`false`). */
  watch?: boolean;
}

export interface ErrorFault extends RequestMatch {
  /** HTTP status to answer with (default 500). */
  status?: number;
  /** How many matching requests fail (default 1; Infinity for all). */
  times?: number;
  message?: string;
}

export interface LatencyFault extends RequestMatch {
  ms: number;
  times?: number;
}

export interface ConflictFault extends RequestMatch {
  times?: number;
  /** For apply requests: the manager reported as owning the field (default `other-manager`). */
  manager?: string;
  /** For apply requests: the conflicting field path (default `.spec`). */
  field?: string;
}

/** A live streaming response (watch or log) that can be cut. */
export interface ActiveStream {
  kind: 'watch' | 'log';
  path: string;
  res: ServerResponse;
  /** Lines or events written so far. */
  written: number;
}

export interface StreamDrop {
  kind: 'watch' | 'log';
  path?: string | RegExp;
  /** Cut each matching stream after it has written this many events/lines (default 0: at once). */
  after?: number;
  times?: number;
}

function matches(m: RequestMatch, method: string, path: string, isWatch: boolean): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.watch !== undefined && m.watch !== isWatch) return false;
  if (m.path instanceof RegExp) return m.path.test(path);
  if (typeof m.path === 'string') return path.includes(m.path);
  return true;
}

function pathMatches(p: string | RegExp | undefined, path: string): boolean {
  if (p instanceof RegExp) return p.test(path);
  return p === undefined || path.includes(p);
}

const REASONS: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalError',
  502: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export class FaultInjector {
  private latencies: LatencyFault[] = [];
  private errors: ErrorFault[] = [];
  private conflicts: ConflictFault[] = [];
  private drops: StreamDrop[] = [];
  readonly streams = new Set<ActiveStream>();

  /** Adds latency to matching requests (before they are handled). */
  addLatency(fault: LatencyFault): void {
    this.latencies.push({ times: Infinity, ...fault });
  }

  /** Matching requests get an error Status instead of being handled, `times` times. */
  failRequests(fault: ErrorFault): void {
    this.errors.push({ status: 500, times: 1, ...fault });
  }

  /** Matching writes get a 409 Conflict, `times` times. */
  forceConflict(fault: ConflictFault): void {
    this.conflicts.push({ times: 1, ...fault });
  }

  /** Cuts matching streams (watch or log): those open now when `after` is 0, and new ones after `after` items. */
  dropStreams(drop: StreamDrop): void {
    const d = { after: 0, times: Infinity, ...drop };
    if (d.after === 0) {
      for (const s of [...this.streams]) {
        if (s.kind === d.kind && pathMatches(d.path, s.path) && d.times > 0) {
          d.times--;
          this.cut(s);
        }
      }
      return;
    }
    this.drops.push(d);
  }

  clear(): void {
    this.latencies = [];
    this.errors = [];
    this.conflicts = [];
    this.drops = [];
  }

  latencyFor(method: string, path: string, isWatch: boolean): number {
    let ms = 0;
    for (const f of this.latencies) {
      if (f.times! > 0 && matches(f, method, path, isWatch)) {
        f.times!--;
        ms += f.ms;
      }
    }
    return ms;
  }

  errorFor(method: string, path: string, isWatch: boolean): ApiError | undefined {
    for (const f of this.errors) {
      if (f.times! > 0 && matches(f, method, path, isWatch)) {
        f.times!--;
        const status = f.status ?? 500;
        const reason = REASONS[status] ?? 'InternalError';
        const message =
          f.message ??
          (status === 429
            ? 'Too many requests, please try again later.'
            : status === 503
              ? 'the server is currently unable to handle the request'
              : 'Internal error occurred: injected fault');
        return new ApiError(
          status,
          reason,
          message,
          status === 500 ? { causes: [{ message: 'injected fault' }] } : {},
          status === 429 ? { headers: { 'retry-after': '1' } } : undefined,
        );
      }
    }
    return undefined;
  }

  conflictFor(method: string, path: string, isApply: boolean, plural: string, name: string): ApiError | undefined {
    for (const f of this.conflicts) {
      if (f.times! > 0 && matches(f, method, path, false)) {
        f.times!--;
        if (isApply) {
          const mgr = JSON.stringify(f.manager ?? 'other-manager');
          const field = f.field ?? '.spec';
          return new ApiError(409, 'Conflict', `Apply failed with 1 conflict: conflict with ${mgr}: ${field}`, {
            causes: [{ reason: 'FieldManagerConflict', message: `conflict with ${mgr}`, field }],
          });
        }
        return new ApiError(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, kind: plural },
        );
      }
    }
    return undefined;
  }

  /** Registers a stream; returns a function to call after each item written (it may cut the stream). */
  track(stream: ActiveStream): () => boolean {
    this.streams.add(stream);
    stream.res.on('close', () => this.streams.delete(stream));
    const rules = this.drops.filter((d) => d.kind === stream.kind && pathMatches(d.path, stream.path) && d.times! > 0);
    const rule = rules[0];
    if (rule) rule.times!--;
    return () => {
      stream.written++;
      if (rule && stream.written >= rule.after!) {
        this.cut(stream);
        return true;
      }
      return false;
    };
  }

  /** Closes the connection abruptly, mid-stream (no terminating chunk). */
  cut(stream: ActiveStream): void {
    this.streams.delete(stream);
    const socket = stream.res.socket;
    if (!socket) {
      stream.res.destroy();
      return;
    }
    // Flush what was written, then close the connection without the terminating chunk.
    socket.end();
    setTimeout(() => socket.destroy(), 200).unref();
  }
}
