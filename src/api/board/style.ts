/** The board's stylesheet: one column on a phone, the waves side by side on wider screens. */
export const BOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --fg: #1d2330; --muted: #5f6b7d; --card: #ffffff; --line: #d9dee6;
  --track: #e4e8ee; --accent: #2f6fdb;
  --pending: #8a94a6; --in_progress: #2f6fdb; --completed: #1e8e4e; --failed: #c9302c;
  --blocked: #b66a00; --cancelled: #6b6b6b; --deferred: #7a5cc2; --running: #2f6fdb;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #12151b; --fg: #e6e9ef; --muted: #9aa5b5; --card: #1b2029; --line: #2c3340;
    --track: #2c3340; --accent: #6fa0ff;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  overflow-wrap: anywhere;
}
a { color: var(--accent); }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.top {
  display: flex; align-items: center; justify-content: space-between; gap: 1rem;
  padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--card);
}
.brand { font-weight: 700; text-decoration: none; color: var(--fg); }
.connection { font-size: 12px; color: var(--muted); }
.connection[data-state="live"]::before { content: "● "; color: var(--completed); }
.connection[data-state="reconnecting"]::before { content: "● "; color: var(--blocked); }
.connection[data-state="ended"]::before { content: "● "; color: var(--muted); }
main { padding: 1rem; max-width: 110rem; margin: 0 auto; }
.muted { color: var(--muted); }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
h2 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
h3 { font-size: .95rem; margin: 0 0 .5rem; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.status {
  display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: 12px;
  font-weight: 600; color: #fff; background: var(--pending); white-space: nowrap;
}
.status[data-status="in_progress"], .status[data-status="running"] { background: var(--in_progress); }
.status[data-status="completed"], .status[data-status="done"] { background: var(--completed); }
.status[data-status="failed"] { background: var(--failed); }
.status[data-status="blocked"] { background: var(--blocked); }
.status[data-status="cancelled"], .status[data-status="skipped"] { background: var(--cancelled); }
.status[data-status="deferred"] { background: var(--deferred); }
.progress {
  height: .55rem; border-radius: 999px; background: var(--track); overflow: hidden; margin: .4rem 0;
}
.progress > span { display: block; height: 100%; background: var(--accent); transition: width .4s; }
.card[data-status="completed"] .progress > span { background: var(--completed); }
.card[data-status="failed"] .progress > span { background: var(--failed); }
.sprint-header {
  background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: 1rem;
}
.sprint-header .title-row { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; }
.sprint-header .progress { height: .8rem; }
.facts { display: flex; flex-wrap: wrap; gap: .35rem 1.25rem; margin: .35rem 0 0; padding: 0; list-style: none; }
.facts li { color: var(--muted); }
.facts strong { color: var(--fg); font-weight: 600; }
.late strong { color: var(--failed); }
.reasons { margin: .5rem 0 0; padding-left: 1.2rem; color: var(--failed); }
.lanes { display: grid; gap: 1rem; grid-template-columns: 1fr; margin-top: 1rem; }
@media (min-width: 48rem) {
  .lanes { grid-template-columns: repeat(auto-fit, minmax(17rem, 1fr)); }
}
.lane { min-width: 0; }
.cards { display: grid; gap: .75rem; }
.card {
  background: var(--card); border: 1px solid var(--line); border-left: 4px solid var(--pending);
  border-radius: .5rem; padding: .7rem .8rem; min-width: 0;
}
.card[data-status="in_progress"] { border-left-color: var(--in_progress); }
.card[data-status="completed"] { border-left-color: var(--completed); }
.card[data-status="failed"] { border-left-color: var(--failed); }
.card[data-status="blocked"] { border-left-color: var(--blocked); }
.card[data-status="cancelled"] { border-left-color: var(--cancelled); }
.card[data-status="deferred"] { border-left-color: var(--deferred); }
.card-head { display: flex; align-items: baseline; justify-content: space-between; gap: .5rem; }
.card-title { font-weight: 600; margin: .1rem 0 .2rem; }
.card .meta { display: flex; flex-wrap: wrap; gap: .15rem .9rem; font-size: 13px; color: var(--muted); }
.card .note { font-size: 13px; margin: .35rem 0 0; }
.card .error { font-size: 13px; margin: .35rem 0 0; color: var(--failed); }
.tasks { list-style: none; margin: .4rem 0 0; padding: 0; font-size: 13px; }
.tasks li[data-done="true"] { color: var(--muted); text-decoration: line-through; }
.output {
  margin: .4rem 0 0; padding: .5rem; border-radius: .35rem; background: var(--bg);
  border: 1px solid var(--line); max-height: 14rem; overflow: auto; white-space: pre-wrap;
}
.branch { font-size: 12px; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: .5rem; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .8rem; }
.panel ul { margin: .3rem 0 0; padding-left: 1.2rem; }
.panel.warning { border-color: #d29922; border-left-width: .3rem; }
form.token { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .75rem; }
form.token input { flex: 1 1 14rem; min-width: 0; padding: .45rem; font: inherit; }
form.token button { padding: .45rem .9rem; font: inherit; }
@media (max-width: 30rem) {
  main { padding: .6rem; }
  th, td { padding: .35rem .4rem; }
}
`;
