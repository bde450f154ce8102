import { readFileSync } from 'node:fs';
import { REFERENCE_FILE, sprintFileReference } from '../../bench/sprint-file-reference';
import { sprintSpecSchema, workPackageSchema } from '../../src/schemas/sprint-spec';

describe('docs/sprint-file-reference.md', () => {
  it('is what the sprint file schema says (`npm run docs:sprint-file` writes it again)', () => {
    expect(readFileSync(REFERENCE_FILE, 'utf8')).toBe(sprintFileReference());
  });

  it('has a row, with a description, for every field of the sprint and of a package', () => {
    const reference = sprintFileReference();
    for (const field of [
      ...Object.keys(sprintSpecSchema.shape),
      ...Object.keys(workPackageSchema.shape),
    ]) {
      expect(reference).toMatch(new RegExp(`^\\| \`${field}\` \\|.*\\| [^|\\s][^|]* \\|$`, 'm'));
    }
  });
});
