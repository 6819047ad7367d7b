import Router from '@koa/router';
import { PassThrough } from 'node:stream';
import type { AppOptions } from '../../app-options.js';

/** `GET /__sandbox/events`: server-sent events of every order change, notify attempt and API call
 * (`event: order|notify|call|reset`, `data:` JSON), with a comment every 15 s to keep it open. */
export function eventRoutes({ events }: AppOptions): Router {
  const router = new Router();
  router.get('/events', (ctx) => {
    const stream = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    ctx.status = 200;
    ctx.body = stream;
    stream.write(': payjs-sandbox events\n\n');
    const off = events.on((e) => {
      stream.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    });
    const ping = setInterval(() => stream.write(': ping\n\n'), 15_000);
    ping.unref();
    const stop = () => {
      off();
      clearInterval(ping);
      stream.end();
    };
    ctx.req.on('close', stop);
    ctx.res.on('close', stop);
  });
  return router;
}
