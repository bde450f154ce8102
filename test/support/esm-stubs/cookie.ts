// Jest's CommonJS runtime cannot load this ES-module-only package (Node 20.19+ can).
// light-my-request uses it only for `cookies`, which the tests do not set.
export const stringifySetCookie = ({ name, value }: { name: string; value: string }): string =>
  `${name}=${value}`;
