import Router from '@koa/router';

// A green square with "P": browsers ask every page for /favicon.ico; an SVG answers it (every
// current browser takes an SVG icon whatever the path says) instead of a 404 in every log.
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#07c160"/><text x="16" y="23" font-family="Arial,sans-serif" font-size="20" font-weight="700" fill="#fff" text-anchor="middle">P</text></svg>';

/** `/favicon.ico`, open like the pay pages. */
export function faviconRoutes(): Router {
  const router = new Router();
  router.get('/favicon.ico', (ctx) => {
    ctx.type = 'image/svg+xml';
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = ICON;
  });
  return router;
}
