/** Framing of `kubectl logs --timestamps` output: timestamps, partial lines, and reconnect dedup. */

export interface LogLine {
  readonly pod: string;
  readonly container: string;
  /** RFC 3339 with nanoseconds, as the kubelet writes it; '' when the line had none. */
  readonly timestamp: string;
  readonly text: string;
}

/** Seconds and nanoseconds of an RFC 3339 timestamp, comparable whatever its fraction's length. */
export function timestampKey(timestamp: string): [number, number] {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(timestamp);
  if (!m) return [Number.NaN, 0];
  const seconds = Date.parse(`${m[1]}${m[3]}`) / 1000;
  const nanos = Number((m[2] ?? '').padEnd(9, '0'));
  return [seconds, nanos];
}

export function compareTimestamps(a: string, b: string): number {
  const [sa, na] = timestampKey(a);
  const [sb, nb] = timestampKey(b);
  return sa - sb || na - nb;
}

/**
 * Splits a stream of text into lines for one container, keeping a partial last line until the
 * rest arrives, and drops the lines a reconnect repeats: after a reconnect from `sinceTime`, the
 * server sends again everything from that second on; lines older than the last one seen are
 * dropped, and at the last timestamp itself, as many copies as were already delivered.
 */
export class LineFramer {
  private partial = '';
  private lastTimestamp = '';
  /** How many times each text was delivered at lastTimestamp. */
  private atLast = new Map<string, number>();
  /** Copies still to skip after a reconnect, per text, at lastTimestamp. */
  private skipping: Map<string, number> | undefined;

  constructor(
    readonly pod: string,
    readonly container: string,
  ) {}

  /** The time to resume from after the stream ends, or undefined when nothing was seen yet. */
  get resumeFrom(): string | undefined {
    return this.lastTimestamp || undefined;
  }

  /** Call before the text of a new connection arrives. */
  reconnected(): void {
    this.partial = '';
    this.skipping = new Map(this.atLast);
  }

  push(text: string, out: LogLine[]): void {
    const chunk = this.partial + text;
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.line(chunk.slice(start, nl), out);
      start = nl + 1;
    }
    this.partial = chunk.slice(start);
  }

  /** The stream ended: a last line with no newline is a line too. */
  flush(out: LogLine[]): void {
    if (this.partial) this.line(this.partial, out);
    this.partial = '';
  }

  private line(raw: string, out: LogLine[]): void {
    const space = raw.indexOf(' ');
    const head = space > 0 ? raw.slice(0, space) : raw;
    const stamped = head.length >= 20 && head.charCodeAt(4) === 45 /* - */ && head.charCodeAt(10) === 84; /* T */
    const timestamp = stamped ? head : '';
    const text = stamped ? (space > 0 ? raw.slice(space + 1) : '') : raw;
    if (timestamp && this.lastTimestamp) {
      const order = timestamp === this.lastTimestamp ? 0 : compareTimestamps(timestamp, this.lastTimestamp);
      if (this.skipping) {
        if (order < 0) return;
        if (order === 0) {
          const left = this.skipping.get(text) ?? 0;
          if (left > 0) {
            this.skipping.set(text, left - 1);
            return;
          }
        } else {
          this.skipping = undefined;
        }
      }
      if (order > 0) this.atLast = new Map();
    }
    if (timestamp) {
      this.lastTimestamp = timestamp;
      this.atLast.set(text, (this.atLast.get(text) ?? 0) + 1);
    }
    out.push({ pod: this.pod, container: this.container, timestamp, text });
  }
}

/** `[pod/container] text`, the way a channel shows a followed line. */
export function formatLogLine(line: LogLine, withTimestamp = false): string {
  return `[${line.pod}/${line.container}] ${withTimestamp && line.timestamp ? `${line.timestamp} ` : ''}${line.text}`;
}
