/** A module loaded on first use, once: libraries only some requests need (EJS for pages, the QR
 * encoder, the multipart parser, the OpenAPI data) stay out of the start-up time. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

export const loadEjs = lazy(async () => (await import('ejs')).default);
export const loadQrcode = lazy(async () => (await import('qrcode')).default);
export const loadBusboy = lazy(async () => (await import('busboy')).default);
