import { GITHUB_BODY_LIMIT } from '../../src/domain/fitted-text';
import { outboxWorkflowId } from '../../src/domain/ids';
import { startLocalGithub } from '../../src/devtools/github-local/server';
import type { LocalGithub } from '../../src/devtools/github-local/server';
import { runToEnd, sprint, startHarness } from '../support/sprint-harness';
import type { Harness } from '../support/sprint-harness';

jest.setTimeout(180_000);

const TOKEN = 'ghp_largetoken1234567890';
const PACKAGES = 80;

/** Ten lines of 250 characters, then a failure: every failed package adds about 2 KB to the texts. */
const FAIL_LOUDLY =
  'line=$(printf "%0250d" 0); for i in 1 2 3 4 5 6 7 8 9 10; do echo "$i$line"; done; exit 3';

describe('a sprint whose texts outgrow a GitHub comment', () => {
  let github: LocalGithub;
  let harness: Harness;

  beforeAll(async () => {
    github = await startLocalGithub({ token: TOKEN });
    harness = await startHarness({ GITHUB_API_URL: github.url, GITHUB_TOKEN: TOKEN });
  });

  afterAll(async () => {
    await harness.close();
    await github.close();
  });

  it('keeps one table and one summary within the limit, in their compact form', async () => {
    const issue = github.createIssue('acme', 'widgets', 'Sprint');
    const packages = Array.from({ length: PACKAGES }, (_, i) => {
      const id = `${i % 2 ? 'OK' : 'NO'}${String(i).padStart(2, '0')}`;
      return { id, title: id, run: i % 2 ? 'echo ok > "$SPRINTWAVE_WP_ID.txt"' : FAIL_LOUDLY };
    });
    const spec = sprint(harness.sandbox.repo, {
      concurrency: 20,
      packages,
      github: { repo: 'acme/widgets', issue, minInterval: '1s' },
    });

    const { state } = await runToEnd(harness, { spec });
    const outbox = harness.temporal.client.workflow.getHandle(outboxWorkflowId(spec.id));
    await (await harness.worker()).runUntil(() => outbox.result());

    expect(state.status).toBe('failed');
    const failed = packages.filter((wp) => wp.id.startsWith('NO'));
    const comments = github.comments('acme', 'widgets', issue);
    expect(comments).toHaveLength(2);
    const [progress, summary] = comments.map((comment) => comment.body);
    for (const body of [progress, summary]) {
      expect(body?.length).toBeLessThanOrEqual(GITHUB_BODY_LIMIT);
      expect(body).toContain(`**Full status:** \`sprintwave status ${spec.id} --json\``);
    }
    expect(progress).toContain(`**Packages:** 40 ✅ Completed · 40 ❌ Failed`);
    for (const wp of failed) expect(progress).toContain(`| ${wp.id} | sh | ❌ Failed |`);
    expect(progress).not.toContain('| OK01 |');
    expect(progress).toMatch(/- …and \d+ more notes?\n/);
    expect(summary).toContain('- 40 packages: 40 files integrated');
    expect(summary).toMatch(/- …and \d+ more not merged\n/);
    // Every write landed: none was refused for its length.
    const writes = github.requests.filter((r) => r.method === 'POST' || r.method === 'PATCH');
    expect(writes.length).toBeGreaterThan(2);
    expect(writes.filter((r) => r.status !== 200 && r.status !== 201)).toEqual([]);
  });
});
