/** How much of a user's value an error message repeats. */
export const SHOWN_CHARACTERS = 80;

/**
 * A value as an error message repeats it: whole when short, else its first characters and its
 * length (`WPxxxx… (900000 characters)`), so a huge value never floods a terminal or an answer.
 */
export function shown(value: string, max = SHOWN_CHARACTERS): string {
  if (value.length <= max) return value;
  // Never end on half of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(value.charAt(max - 1)) ? max - 1 : max;
  return `${value.slice(0, end)}… (${value.length} characters)`;
}
