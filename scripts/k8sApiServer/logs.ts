/**
 * Container logs: a bounded ring buffer per container, log generators, and the pods/log endpoint
 * (plain, follow, timestamps, tailLines, sinceTime, sinceSeconds, limitBytes, previous). Followers
 * read from the buffer with their own cursor and respect socket backpressure, so a slow reader
 * costs no memory beyond the ring (it skips lines that were overwritten, as with log rotation).
 */
import type { ServerResponse } from 'node:http';
import { formatNanos, nowNanos } from './util.ts';

class Ring {
  readonly texts: string[];
  readonly stamps: bigint[];
  /** Sequence number of the oldest retained line. */
  start = 0;
  /** Sequence number the next line gets. */
  end = 0;

  constructor(readonly capacity: number) {
    this.texts = new Array<string>(capacity);
    this.stamps = new Array<bigint>(capacity);
  }

  push(text: string, stamp: bigint): void {
    const i = this.end % this.capacity;
    this.texts[i] = text;
    this.stamps[i] = stamp;
    this.end++;
    if (this.end - this.start > this.capacity) this.start = this.end - this.capacity;
  }

  text(seq: number): string {
    return this.texts[seq % this.capacity]!;
  }

  stamp(seq: number): bigint {
    return this.stamps[seq % this.capacity]!;
  }

  /** First sequence whose stamp is at or after `since` (stamps are increasing). */
  firstAtOrAfter(since: bigint): number {
    let lo = this.start;
    let hi = this.end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.stamp(mid) < since) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Follower {
  res: ServerResponse;
  next: number;
  timestamps: boolean;
  bytesLeft: number;
  waitingDrain: boolean;
  onItems: (n: number) => boolean;
}

class ContainerLog {
  ring: Ring;
  previous: Ring | undefined;
  readonly followers = new Set<Follower>();
  ended = false;
  scheduled = false;

  constructor(capacity: number) {
    this.ring = new Ring(capacity);
  }
}

export interface LogQuery {
  follow: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceNanos?: bigint;
  limitBytes?: number;
  previous: boolean;
}

export interface LogGeneratorOptions {
  /** Lines per second (default 1000). */
  linesPerSecond?: number;
  /** Produces line `i` (default: a gunicorn-style access line). */
  line?: (i: number) => string;
}

const BATCH_LINES = 2048;
const BATCH_BYTES = 256 * 1024;

export class LogStore {
  private readonly logs = new Map<string, ContainerLog>();
  private readonly generators = new Set<NodeJS.Timeout>();

  constructor(private readonly capacity: number) {}

  private key(ns: string, pod: string, container: string): string {
    return `${ns}/${pod}/${container}`;
  }

  private log(ns: string, pod: string, container: string): ContainerLog {
    const k = this.key(ns, pod, container);
    let l = this.logs.get(k);
    if (!l) this.logs.set(k, (l = new ContainerLog(this.capacity)));
    return l;
  }

  /** Appends lines (without trailing newlines) to a container's log, stamped now. */
  emit(ns: string, pod: string, container: string, lines: readonly string[]): void {
    const l = this.log(ns, pod, container);
    if (l.ended) return;
    let stamp = nowNanos();
    for (const line of lines) {
      for (const part of line.split('\n')) l.ring.push(part, stamp++);
    }
    this.schedule(l);
  }

  /** Emits lines at a steady rate until the returned function is called. */
  startGenerator(ns: string, pod: string, container: string, options: LogGeneratorOptions = {}): () => void {
    const rate = options.linesPerSecond ?? 1000;
    const make =
      options.line ??
      ((i: number) => `10.244.0.7 - - "GET /api/v1/stats/endpoints?page=${i} HTTP/1.1" 200 1843 "-" "python-requests/2.31.0"`);
    const started = performance.now();
    let emitted = 0;
    const timer = setInterval(() => {
      const due = Math.floor(((performance.now() - started) / 1000) * rate);
      const n = Math.min(due - emitted, rate);
      if (n <= 0) return;
      const lines = new Array<string>(n);
      for (let i = 0; i < n; i++) lines[i] = make(emitted + i);
      emitted = due;
      this.emit(ns, pod, container, lines);
    }, 10);
    this.generators.add(timer);
    return () => {
      clearInterval(timer);
      this.generators.delete(timer);
    };
  }

  /** The container restarted: its log becomes the `previous` log and a new one starts. */
  restart(ns: string, pod: string, container: string): void {
    const l = this.log(ns, pod, container);
    l.previous = l.ring;
    l.ring = new Ring(this.capacity);
    this.endFollowers(l);
    l.ended = false;
  }

  hasPrevious(ns: string, pod: string, container: string): boolean {
    return this.logs.get(this.key(ns, pod, container))?.previous !== undefined;
  }

  /** The pod is gone: end its followers and drop its logs. */
  removePod(ns: string, pod: string): void {
    const prefix = `${ns}/${pod}/`;
    for (const [k, l] of this.logs) {
      if (!k.startsWith(prefix)) continue;
      l.ended = true;
      this.endFollowers(l);
      this.logs.delete(k);
    }
  }

  /** The container stopped: followers get the rest and their responses end. */
  endContainer(ns: string, pod: string, container: string): void {
    const l = this.logs.get(this.key(ns, pod, container));
    if (!l) return;
    l.ended = true;
    this.endFollowers(l);
  }

  /**
   * The kubelet's side of a pod's follow streams is cut (a kubelet restart, a node problem): the
   * apiserver ends each client's response cleanly, with no error text, and the container goes on.
   */
  dropFollowers(ns: string, pod: string): void {
    const prefix = `${ns}/${pod}/`;
    for (const [k, l] of this.logs) if (k.startsWith(prefix)) this.endFollowers(l);
  }

  stop(): void {
    for (const t of this.generators) clearInterval(t);
    this.generators.clear();
    for (const l of this.logs.values()) for (const f of l.followers) f.res.destroy();
  }

  /** Writes a log response body (headers already chosen by the caller). */
  serve(ns: string, pod: string, container: string, q: LogQuery, res: ServerResponse, onItems: (n: number) => boolean): void {
    const l = this.log(ns, pod, container);
    const ring = q.previous ? (l.previous ?? new Ring(1)) : l.ring;
    let startSeq = ring.start;
    if (q.sinceNanos !== undefined) startSeq = Math.max(startSeq, ring.firstAtOrAfter(q.sinceNanos));
    if (q.tailLines !== undefined) startSeq = Math.max(startSeq, ring.end - q.tailLines);
    const f: Follower = {
      res,
      next: startSeq,
      timestamps: q.timestamps,
      bytesLeft: q.limitBytes ?? Infinity,
      waitingDrain: false,
      onItems,
    };
    res.on('close', () => l.followers.delete(f));
    if (!q.follow || q.previous) {
      this.pump(ring, f, true);
      return;
    }
    l.followers.add(f);
    this.pump(ring, f, l.ended);
  }

  private schedule(l: ContainerLog): void {
    if (l.scheduled || l.followers.size === 0) return;
    l.scheduled = true;
    setImmediate(() => {
      l.scheduled = false;
      for (const f of l.followers) if (!f.waitingDrain) this.pump(l.ring, f, l.ended);
    });
  }

  private endFollowers(l: ContainerLog): void {
    const ring = l.ring;
    for (const f of [...l.followers]) {
      l.followers.delete(f);
      if (!f.waitingDrain) this.pump(ring, f, true);
      else f.res.once('drain', () => this.pump(ring, f, true));
    }
  }

  private pump(ring: Ring, f: Follower, finish: boolean): void {
    const res = f.res;
    if (res.destroyed) return;
    while (f.next < ring.end && f.bytesLeft > 0) {
      if (f.next < ring.start) f.next = ring.start;
      let chunk = '';
      let n = 0;
      while (f.next < ring.end && n < BATCH_LINES && chunk.length < BATCH_BYTES) {
        const seq = f.next++;
        chunk += f.timestamps ? `${formatNanos(ring.stamp(seq))} ${ring.text(seq)}\n` : `${ring.text(seq)}\n`;
        n++;
      }
      if (chunk.length > f.bytesLeft) {
        chunk = chunk.slice(0, f.bytesLeft);
        f.bytesLeft = 0;
      } else f.bytesLeft -= chunk.length;
      const ok = res.write(chunk);
      if (f.onItems(n)) return;
      if (!ok) {
        f.waitingDrain = true;
        res.once('drain', () => {
          f.waitingDrain = false;
          this.pump(ring, f, finish);
        });
        return;
      }
    }
    if (finish || f.bytesLeft <= 0) res.end();
  }
}
