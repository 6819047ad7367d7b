/** PAYJS speaks Beijing time (UTC+8, no daylight saving) everywhere (docs/protocol.md §2.3). */
const BEIJING_OFFSET_MS = 8 * 60 * 60 * 1000;

const iso = (ms: number) => new Date(ms + BEIJING_OFFSET_MS).toISOString();

/** `YYYY-MM-DD HH:MM:SS` in Beijing time: `time_end`, `paid_time`. */
export function beijingTime(ms: number): string {
  const s = iso(ms);
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
}

/** `yyyyMMddHHmmss` in Beijing time: the prefix of `payjs_order_id`, the format of `time_expire`. */
export function compactTime(ms: number): string {
  // Every create draws an id from the time of its second: the last second's string is kept.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastCompact = iso(ms).slice(0, 19).replace(/[-T:]/g, '');
    lastSecond = second;
  }
  return lastCompact;
}
let lastSecond = NaN;
let lastCompact = '';

/** `yyyyMMdd` in Beijing time. */
export function compactDate(ms: number): string {
  return compactTime(ms).slice(0, 8);
}

/** Parses `yyyyMMddHHmmss` (Beijing) into epoch ms; null when it is not a real date and time. */
export function parseCompactTime(s: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const ms = Date.UTC(y, mo - 1, d, h, mi, se) - BEIJING_OFFSET_MS;
  return compactTime(ms) === s ? ms : null;
}
