import { scaleSettings } from '../../bench/scale';

describe('npm run scale -- [packages] [--waves N] [--concurrency N] [--github]', () => {
  it('takes the size as its argument, before the environment', () => {
    const s = scaleSettings(['10000', '--concurrency', '50'], { SCALE_PACKAGES: '300' });
    expect(s).toMatchObject({ packages: 10_000, waves: 10, concurrency: 50, github: false });
  });

  it('falls back to the environment, then to 1,000 in 10 waves at concurrency 20', () => {
    expect(scaleSettings([], { SCALE_PACKAGES: '1_500', SCALE_WAVES: '5' })).toMatchObject({
      packages: 1_500,
      waves: 5,
      concurrency: 20,
    });
    expect(scaleSettings(['--github'], {})).toMatchObject({
      packages: 1_000,
      waves: 10,
      github: true,
    });
  });

  it('names what is wrong with a bad size', () => {
    expect(() => scaleSettings(['ten'], {})).toThrow(
      'the size must be a whole number of at least 1, not "ten"',
    );
    expect(() => scaleSettings(['0'], {})).toThrow('the size must be a whole number');
    expect(() => scaleSettings(['100', '--concurrency', '2.5'], {})).toThrow(
      '--concurrency must be',
    );
    expect(() => scaleSettings(['5', '--waves', '10'], {})).toThrow(
      '--waves (10) cannot exceed the size (5)',
    );
    expect(() => scaleSettings(['1', '2'], {})).toThrow('one size at most');
    expect(() => scaleSettings(['--size', '3'], {})).toThrow("Unknown option '--size'");
  });
});
