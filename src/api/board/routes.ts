import { z } from 'zod';
import { sprintParams } from '../schemas';
import type { ZodApp } from '../schemas';
import { pageHtml } from './page';
import { BOARD_JS } from './script';
import { BOARD_CSS } from './style';

/**
 * Scripts, styles and data from this origin only: no inline script or style, no frames, no
 * other hosts. Links to the Web UI are navigations, which this does not restrict.
 */
export const BOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': BOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const BOARD_PATH = /^\/sprints\/[^/?#]+\/board\/?$/;
const PUBLIC_PATHS = new Set(['/', '/board/board.js', '/board/board.css']);

/**
 * The board's pages and assets are the same for every sprint and hold no data: a browser
 * loads them without a header (a `#token` never reaches the server), and their script reads
 * the sprints through the API with the token.
 */
export function isPublicBoardPath(url: string): boolean {
  const pathname = url.split('?', 1)[0] ?? '';
  return PUBLIC_PATHS.has(pathname) || BOARD_PATH.test(pathname);
}

/** `GET /` (the sprints) and `GET /sprints/:id/board` (one sprint, live), with their assets. */
export function registerBoardRoutes(app: ZodApp): void {
  const sprintsHtml = pageHtml('sprints');
  const boardHtml = pageHtml('board');
  const html = { produces: ['text/html'], response: { 200: z.string() } };

  app.get(
    '/',
    { schema: { summary: 'The sprint board: the sprints, each linking to its board', ...html } },
    async (_request, reply) =>
      reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(sprintsHtml),
  );
  app.get(
    '/sprints/:id/board',
    {
      schema: {
        summary: "One sprint's board, live: packages by wave, progress, failures, integration",
        description:
          'The page reads `GET /sprints/:id/stream` with the bearer token from `#token=…`.',
        params: sprintParams,
        ...html,
      },
    },
    async (_request, reply) =>
      reply.headers(SECURITY_HEADERS).type('text/html; charset=utf-8').send(boardHtml),
  );
  app.get('/board/board.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/javascript; charset=utf-8').send(BOARD_JS),
  );
  app.get('/board/board.css', { schema: { hide: true } }, async (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type('text/css; charset=utf-8').send(BOARD_CSS),
  );
}
