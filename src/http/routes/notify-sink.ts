import Router from '@koa/router';

/** Where a notify goes when there is no merchant endpoint yet: `POST /sandbox/notify-sink` answers
 * HTTP 200 "success" as a correct PAYJS notify handler does (docs/protocol.md §14), so a first
 * order shows a delivered notify instead of DNS failures. The attempt is recorded with the order
 * like any other. Open without the control token, as the sandbox itself posts to it. */
export function notifySinkRoutes(): Router {
  const router = new Router();
  router.post('/sandbox/notify-sink', (ctx) => {
    ctx.req.resume(); // the body is not needed: the sandbox keeps what it sent
    ctx.type = 'text/plain';
    ctx.body = 'success';
  });
  return router;
}
