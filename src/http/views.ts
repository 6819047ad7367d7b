import { join } from 'node:path';
import { loadEjs } from './lazy.js';
import { PACKAGE_ROOT } from './package-files.js';
import type { Context } from 'koa';
import { LANGS, langName, pageText, type Lang } from './pages/text.js';

/** The EJS views shipped beside dist/ (no asset build). */
export const VIEWS_DIR = join(PACKAGE_ROOT, 'views', '/');

/** The cookie that keeps the payer's language choice. */
export const LANG_COOKIE = 'payjs_sandbox_lang';

const YEAR_MS = 365 * 86_400_000;

/** The page language: `?lang=zh|en` (kept in a cookie), else the cookie, else Chinese. */
export function pageLang(ctx: Context): Lang {
  const asked = ctx.query.lang;
  if (typeof asked === 'string' && (LANGS as string[]).includes(asked)) {
    ctx.cookies.set(LANG_COOKIE, asked, { httpOnly: true, sameSite: 'lax', maxAge: YEAR_MS, overwrite: true });
    return asked as Lang;
  }
  return ctx.cookies.get(LANG_COOKIE) === 'en' ? 'en' : 'zh';
}

/** JSON that is safe inside a `<script>` element: `<`, `>`, `&` and the line separators U+2028/2029
 * are escaped, so a value cannot close the element (`</script>`) or break the script. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Renders `views/<name>.ejs` as the answer, with the page's strings as `t` and a link that
 * switches the language (on `langPath`, default the requested URL). `<%= %>` escapes every value. */
export async function render(ctx: Context, name: string, data: Record<string, unknown>, status = 200): Promise<void> {
  const lang = pageLang(ctx);
  const other: Lang = lang === 'zh' ? 'en' : 'zh';
  const here = new URL(typeof data.langPath === 'string' ? data.langPath : ctx.originalUrl, 'http://sandbox.invalid');
  here.searchParams.set('lang', other);
  ctx.status = status;
  ctx.type = 'html';
  const ejs = await loadEjs();
  ctx.body = await ejs.renderFile(
    `${VIEWS_DIR}${name}.ejs`,
    { lang, t: pageText(lang, name), langSwitch: { href: `${here.pathname}${here.search}`, label: langName(other), lang: other }, scriptJson, ...data },
    { cache: true, async: false },
  );
}
