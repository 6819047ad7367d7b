// Types of hostile.mjs, for the TypeScript tests that import it.
import type fc from 'fast-check';

export const API: string[];
export const METHODS: string[];
export const ACTIONS: string[];
export const AVOID: Record<'clockRange' | 'restoreShape' | 'seedShape' | 'deepNesting' | 'seedAtomic' | 'loneSurrogate' | 'controlInflate', boolean>;

/** One raw request: the bytes of its request line, headers and body are what the server gets. */
export interface RawRequest {
  kind: 'api' | 'control';
  endpoint?: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  rare?: boolean;
}

/** A complete answer, or why there was none (`skipped`: node:http would not write the request). */
export interface RawAnswer {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer;
  error?: string;
  skipped?: string;
  retried?: boolean;
}

export interface Verdict {
  class: string;
  refused: boolean;
  violations: string[];
}

export interface HostileContext {
  sign: (params: Record<string, unknown>, key: string) => string;
  merchants: { mchid: string; key: string }[];
  ids: () => string[];
  notifyUrls: string[];
  snapshot?: () => unknown;
}

export function hostileRequest(check: typeof fc, ctx: HostileContext): fc.Arbitrary<RawRequest>;
export function sendRaw(base: string, req: Pick<RawRequest, 'method' | 'path' | 'headers' | 'body'>, options?: { timeoutMs?: number; agent?: unknown }): Promise<RawAnswer>;
export function judge(req: RawRequest, res: RawAnswer, ctx: { verify: (body: Record<string, unknown>, key: string) => boolean; merchants: { key: string }[] }): Verdict;
export function apiEndpoint(path: string): string | undefined;
export function deepJson(depth: number, kind?: 'array' | 'object' | 'mixed'): string;
export function requestLine(path: string): string;
