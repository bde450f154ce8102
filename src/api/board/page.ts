/**
 * The HTML of the board's two pages. Each is the same shell for every sprint: it holds no
 * sprint data and no token; `board.js` reads both through the API with the bearer token.
 */

export type BoardPage = 'sprints' | 'board';

const TITLES: Record<BoardPage, string> = {
  sprints: 'Sprints · sprintwave',
  board: 'Sprint board · sprintwave',
};

export function pageHtml(page: BoardPage): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${TITLES[page]}</title>
<link rel="stylesheet" href="/board/board.css">
<script src="/board/board.js" defer></script>
</head>
<body data-page="${page}">
<header class="top">
  <a class="brand" href="/">sprintwave</a>
  <span id="connection" class="connection" data-state="idle"></span>
</header>
<main id="main" aria-live="polite">
  <p class="muted">Loading…</p>
</main>
<noscript><p class="muted">The board needs JavaScript: it reads the sprint from the API.</p></noscript>
</body>
</html>
`;
}
