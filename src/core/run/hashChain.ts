/**
 * The hash chain over a run record: each line of the record carries `chain`, the SHA-256 of the
 * previous line's chain and of this line's event (as RFC 8785 canonical JSON, without `chain`).
 * Changing, removing or reordering a line breaks the chain from there on; the last line's chain
 * (the head) pins the whole record, and the evidence bundle keeps it.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { err, ok, type Result } from '../result.js';

/** The chain value before the first line. */
export const CHAIN_GENESIS = sha256Hex('dr-runbook run record, chain v1');

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 8785 canonical JSON: the same text for the same value, whatever the key order. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('canonicalJson: the value has no JSON form');
  return text;
}

/** The chain value of `event` following `previous`. */
export function chainOf(previous: string, event: object): string {
  return sha256Hex(`${previous}\n${canonicalJson(event)}`);
}

/** `event` with its `chain` field, following the line whose chain is `previous`. */
export function sealEvent<T extends object>(previous: string, event: T): T & { readonly chain: string } {
  const { chain: _old, ...rest } = event as T & { chain?: unknown };
  return { ...(rest as T), chain: chainOf(previous, rest) };
}

/**
 * The chain to continue a record from: that of its last line. An unterminated last line that is
 * not whole JSON is passed over (the next append drops it); an empty record starts at the genesis.
 */
export function lastChain(recordText: string): string {
  const lines = recordText.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) continue;
      return CHAIN_GENESIS;
    }
    const chain = (value as { chain?: unknown } | null)?.chain;
    return typeof chain === 'string' ? chain : CHAIN_GENESIS;
  }
  return CHAIN_GENESIS;
}

export interface ChainSummary {
  /** The chain of the last line. */
  readonly head: string;
  /** Lines in the record. */
  readonly lines: number;
}

export interface ChainBreak {
  /** 1-based line where the chain breaks. */
  readonly line: number;
  readonly message: string;
}

/**
 * Checks every line's chain, in order. The first line that was changed, inserted, removed or
 * moved is where the chain breaks (a changed line fails its own chain; a removed one fails the next).
 */
export function verifyChain(recordText: string): Result<ChainSummary, ChainBreak> {
  let previous = CHAIN_GENESIS;
  let count = 0;
  const lines = recordText.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return err({ line: i + 1, message: `line ${i + 1} is not a JSON record` });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return err({ line: i + 1, message: `line ${i + 1} is not a JSON object` });
    }
    const { chain, ...event } = value as { chain?: unknown };
    if (typeof chain !== 'string') return err({ line: i + 1, message: `line ${i + 1} carries no chain value` });
    if (chain !== chainOf(previous, event)) {
      return err({ line: i + 1, message: `line ${i + 1} was changed, or a line before it was removed or moved` });
    }
    previous = chain;
    count++;
  }
  return ok({ head: previous, lines: count });
}
