import { packageVersion } from '../package-files.js';
import { CONTROL_SCHEMAS } from './components.js';
import { controlPaths } from './control.js';
import { PAYJS_HEADERS, PAYJS_PARAMETERS, PAYJS_SCHEMAS, SIGN_DEBUG, payjsPaths, requestSchemas } from './payjs.js';


// The description's version is the package's.
/**
 * The OpenAPI 3.1 description of both surfaces: the PAYJS API at `/api/*` and the control API at
 * `/__sandbox/*`. test/openapi-*.test.ts validates real answers against it and fails on a route
 * the routers serve that it does not describe.
 */
export function openApiDocument(origin: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'payjs-sandbox',
      version: packageVersion(),
      description:
        'A local sandbox of the PAYJS payment gateway. `/api/*` answers as https://payjs.cn/api/* does (docs/protocol.md): '
        + 'signed answers with exactly the documented fields, keys sorted and `sign` last; refusals are HTTP 200 with the unsigned envelope. '
        + '`/__sandbox/*` is the sandbox\'s own control API: JSON, `{ error, message }` with a 4xx on refusal; off loopback it needs the control token.',
    },
    servers: [{ url: origin, description: 'this sandbox' }],
    tags: [
      { name: 'PAYJS', description: 'the PAYJS surface' },
      { name: 'orders' }, { name: 'notifications' }, { name: 'clock' }, { name: 'scenarios' },
      { name: 'calls' }, { name: 'merchants' }, { name: 'sandbox' }, { name: 'miniprogram' }, { name: 'conformance' }, { name: 'interception' },
    ],
    paths: { ...payjsPaths(), ...controlPaths() },
    components: {
      schemas: { ...PAYJS_SCHEMAS, ...requestSchemas(), SignDebug: SIGN_DEBUG, ...CONTROL_SCHEMAS },
      parameters: PAYJS_PARAMETERS,
      headers: PAYJS_HEADERS,
      securitySchemes: {
        controlToken: { type: 'apiKey', in: 'header', name: 'X-Sandbox-Token', description: 'the control token the banner prints (only off loopback)' },
        bearer: { type: 'http', scheme: 'bearer', description: 'the control token as a bearer token' },
        tokenQuery: { type: 'apiKey', in: 'query', name: 'token', description: 'the control token in the URL (the dashboard keeps it in a cookie)' },
      },
    },
  };
}


