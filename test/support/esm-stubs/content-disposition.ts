// Jest's CommonJS runtime cannot load this ES-module-only package (Node 20.19+ can). Nothing
// the tests do reaches it: @fastify/static uses it for downloads only.
export const create = (filename = 'download'): string => `attachment; filename="${filename}"`;
