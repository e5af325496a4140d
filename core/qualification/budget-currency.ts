/**
 * Budgets are compared with the organization's thresholds in US dollars. A prospect who names
 * euros or pounds keeps their amount and currency on the lead; the comparison uses these
 * reference rates (US dollars per unit, rounded: close enough to tell a $50k budget from a $5k one,
 * never used to bill anyone).
 */
export const usdPerUnit = {
  USD: 1,
  EUR: 1.08,
  GBP: 1.27,
  CAD: 0.73,
  AUD: 0.66,
  CHF: 1.13,
  INR: 0.012,
  JPY: 0.0067,
} as const;
export type BudgetCurrency = keyof typeof usdPerUnit;
export const budgetCurrencies = Object.keys(usdPerUnit) as BudgetCurrency[];

/** An amount in `currency` (whole units, decimals allowed) as US cents. */
export function toUsdCents(amount: number, currency: BudgetCurrency): number {
  return Math.round(amount * usdPerUnit[currency] * 100);
}
