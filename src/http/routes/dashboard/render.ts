import { loadEjs } from '../../lazy.js';
import type { Context } from 'koa';
import type { SandboxClock } from '../../../clock/clock.js';
import { beijingTime } from '../../../core/time.js';
import { VIEWS_DIR, pageLang, scriptJson } from '../../views.js';
import { DASHBOARD_TEXT, fill } from './text.js';

/** The sections of the dashboard, in the order of its navigation bar. */
export const SECTIONS = [
  { id: 'orders', href: '/' },
  { id: 'notifications', href: '/dashboard/notifications' },
  { id: 'scenarios', href: '/dashboard/scenarios' },
  { id: 'clock', href: '/dashboard/clock' },
  { id: 'calls', href: '/dashboard/calls' },
  { id: 'conformance', href: '/dashboard/conformance' },
  { id: 'sign', href: '/dashboard/sign' },
] as const;

/** What the page's script listens to: the server-sent event types that refresh its live parts,
 * and, on an order's page, the order they must concern. */
export interface LiveWatch {
  events: ('order' | 'notify' | 'call' | 'reset')[];
  order?: string;
}

/** Helpers every view gets: `<%= time(ms) %>`, `<%= yuan(fen) %>`, `<%= json(v) %>`. */
const helpers = {
  time: (ms: number | undefined) => (typeof ms === 'number' ? beijingTime(ms) : ''),
  yuan: (fen: number) => `¥${(fen / 100).toFixed(2)}`,
  json: (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2)),
  fill,
  scriptJson,
};

/**
 * Renders `views/dashboard/<view>.ejs` inside the dashboard's frame (navigation, sandbox time,
 * language switch, the one script). `<%= %>` escapes every value; the script's data goes through
 * `scriptJson`, which escapes `<` so no value can close the script element.
 */
export async function renderDashboard(
  ctx: Context,
  clock: SandboxClock,
  view: string,
  data: { section: string; title: string; watch: LiveWatch } & Record<string, unknown>,
  status = 200,
): Promise<void> {
  const lang = pageLang(ctx);
  const other = lang === 'zh' ? 'en' : 'zh';
  const here = new URL(ctx.originalUrl, 'http://sandbox.invalid');
  here.searchParams.delete('token'); // the cookie carries it from now on
  here.searchParams.set('lang', other);
  const t = DASHBOARD_TEXT[lang];
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  const ejs = await loadEjs();
  ctx.body = await ejs.renderFile(
    `${VIEWS_DIR}dashboard/${view}.ejs`,
    {
      ...helpers,
      lang,
      t,
      sections: SECTIONS,
      now: clock.now(),
      langSwitch: { href: `${here.pathname}${here.search}`, label: DASHBOARD_TEXT[other].langName, lang: other },
      script: { watch: data.watch, text: { done: t.done, failed: t.failed, running: t.conformance.running, live: t.live, sign: t.sign, diag: { canonical: t.calls.canonical, expected: t.calls.expected, received: t.calls.received, cause: t.calls.cause } } },
      ...data,
    },
    { cache: true, async: false },
  );
}
