/**
 * Money as the API speaks it: integer micro-dollars (1 USD = 1,000,000). Dollar amounts typed by
 * people are parsed from their decimal text, digit by digit, never through a float: "8.2" becomes
 * exactly 8200000, where `8.2 * 1e6` is 8199999.999999999.
 */

export const MICROS_PER_DOLLAR = 1_000_000;
const DECIMALS = 6;

export type ParsedMicros = { ok: true; micros: number } | { ok: false; error: string };

const DECIMAL = /^(\d*)(?:\.(\d*))?$/;

/**
 * "2.50" → 2500000, "$0.075" → 75000, "1,000" → 1000000000. Refuses negatives, exponents
 * ("1e3"), more than six decimals (finer than a micro-dollar) and amounts above `max` micros.
 */
export function parseDollarsToMicros(text: string, options: { max?: number } = {}): ParsedMicros {
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  let value = text.trim();
  if (value.startsWith('$')) value = value.slice(1).trim();
  if (value === '') return { ok: false, error: 'enter an amount in dollars, e.g. 2.50' };
  if (value.startsWith('-')) return { ok: false, error: 'must not be negative' };
  if (/e/i.test(value))
    return { ok: false, error: 'write the amount in full, without an exponent (e.g. 1000)' };
  // Thousands separators are fine as long as they group digits properly ("1,000.50", not "1,00").
  if (value.includes(',')) {
    if (!/^\d{1,3}(,\d{3})*(\.\d*)?$/.test(value)) return { ok: false, error: 'not a dollar amount' };
    value = value.replaceAll(',', '');
  }
  const match = DECIMAL.exec(value);
  if (!match) return { ok: false, error: 'not a dollar amount' };
  const whole = match[1] ?? '';
  const fraction = match[2] ?? '';
  if (whole === '' && fraction === '') return { ok: false, error: 'not a dollar amount' };
  if (fraction.length > DECIMALS)
    return { ok: false, error: 'at most 6 decimal places (one micro-dollar is $0.000001)' };
  const digits = `${whole}${fraction.padEnd(DECIMALS, '0')}`.replace(/^0+(?=\d)/, '');
  // Compare as text first: a number too long to be exact must not be rounded into range.
  if (digits.length > String(max).length || Number(digits) > max)
    return { ok: false, error: `must be at most ${formatDollars(max, { exact: true })}` };
  return { ok: true, micros: Number(digits) };
}

/** 75000 → "0.075", 2500000 → "2.5", 3 → "0.000003": the exact decimal text of an amount. */
export function microsToDecimal(micros: number): string {
  if (!Number.isSafeInteger(micros)) throw new RangeError(`not a whole number of micro-dollars: ${micros}`);
  const negative = micros < 0;
  const digits = String(Math.abs(micros)).padStart(DECIMALS + 1, '0');
  const whole = digits.slice(0, -DECIMALS);
  const fraction = digits.slice(-DECIMALS).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * A cost for people: "$0.0123" for small amounts (enough digits to see something), "$12.35" for
 * large ones; `exact` shows every significant digit instead.
 */
export function formatDollars(micros: number | null | undefined, options: { exact?: boolean } = {}): string {
  if (micros === null || micros === undefined) return '—';
  if (options.exact) {
    const [whole = '0', fraction = ''] = microsToDecimal(micros).split('.');
    return `$${Number(whole).toLocaleString('en-US')}${fraction ? `.${fraction.padEnd(2, '0')}` : '.00'}`;
  }
  const dollars = micros / MICROS_PER_DOLLAR;
  if (micros === 0) return '$0.00';
  if (Math.abs(dollars) < 0.01) return `$${dollars.toFixed(6).replace(/0+$/, '')}`;
  if (Math.abs(dollars) < 1) return `$${dollars.toFixed(4)}`;
  return `$${dollars.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}
