import {
  NOT_A_DURATION,
  TEMPORAL_TIMER_BOUND,
  durationProblem,
  parseDuration,
} from '../../src/domain/duration';

describe('durations in a sprint file', () => {
  it('reads a number and a unit, or several units each once', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d 12h'.replace(' ', ''))).toBe(216_000_000);
    expect(parseDuration('500ms')).toBe(500);
  });

  it('refuses a unit given twice, however long the text, as not a duration', () => {
    expect(parseDuration('1d1d')).toBeUndefined();
    expect(durationProblem('1h30m1h', TEMPORAL_TIMER_BOUND)).toBe(NOT_A_DURATION);
    expect(durationProblem('1d'.repeat(50), TEMPORAL_TIMER_BOUND)).toBe(NOT_A_DURATION);
  });

  it('says too long, not malformed, for a well-written duration past the bound', () => {
    expect(durationProblem('9999999999d', TEMPORAL_TIMER_BOUND)).toBe(TEMPORAL_TIMER_BOUND.tooLong);
  });
});
