import { arrivalOf } from '../arrival.js';
import Router from '@koa/router';
import type { Context } from 'koa';
import { bodyText, type ApiCall, type ApiResponse } from '../../app/api-call.js';
import { API_ENDPOINTS } from '../../core/endpoints.js';
import { asRefusal } from '../errors.js';
import { readParams } from '../params.js';

export { API_ENDPOINTS };

/** The base URL the caller reached the sandbox by, for the links in answers. */
export const baseUrl = (ctx: Context, fallback: () => string) => (ctx.host ? `${ctx.protocol}://${ctx.host}` : fallback());

/** Sends the pipeline's response through koa; `hang` keeps the socket until the client goes. */
async function answer(ctx: Context, response: ApiResponse): Promise<void> {
  ctx.status = response.status;
  const { location, ...headers } = response.headers;
  ctx.set(headers);
  if (location !== undefined) ctx.redirect(location);
  // The content type is set above: koa keeps it for a text body.
  else if (response.body !== undefined) ctx.body = bodyText(response);
  if (response.hang) {
    ctx.respond = false;
    await new Promise((resolve) => (ctx.req.socket.destroyed ? resolve(null) : ctx.req.socket.once('close', resolve)));
  }
}

/** The PAYJS surface, at the paths of https://payjs.cn/api/* (docs/protocol.md §1), GET or POST:
 * each route reads the request, hands it to the API pipeline, and sends its answer. */
export function apiRoutes(apiCall: ApiCall, fallbackUrl: () => string): Router {
  const router = new Router({ prefix: '/api' });
  const route = async (ctx: Context) => {
    const read = () => readParams(ctx).catch((err: unknown) => Promise.reject(asRefusal(err) ?? err));
    await answer(ctx, await apiCall({ path: ctx.path, method: ctx.method, headers: ctx.headers, arrival: arrivalOf(ctx.req), read, base: baseUrl(ctx, fallbackUrl) }));
  };
  for (const name of API_ENDPOINTS) {
    router.get(`/${name}`, route);
    router.post(`/${name}`, route);
  }
  return router;
}
