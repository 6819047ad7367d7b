import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { Context } from 'koa';

/** The EJS views shipped beside dist/ (no asset build). */
export const VIEWS_DIR = fileURLToPath(new URL('../../views/', import.meta.url));

/** Renders `views/<name>.ejs` as the answer; `<%= %>` escapes every value. */
export async function render(ctx: Context, name: string, data: Record<string, unknown>, status = 200): Promise<void> {
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = await ejs.renderFile(`${VIEWS_DIR}${name}.ejs`, data, { cache: true, async: false });
}
