// The daily budget: once today's reported spend reaches it, no new agent starts until tomorrow (UTC).
import type { HuskiesConfig } from '../config/config';
import type { StateView } from '../state/types';

export function budgetStop(config: HuskiesConfig, s: Pick<StateView, 'spentOn'>, now: number): string | undefined {
  const budget = config.project.dailyBudgetUsd;
  if (!budget) return undefined;
  const spent = s.spentOn(new Date(now).toISOString().slice(0, 10));
  if (spent < budget) return undefined;
  return `The daily budget of $${budget.toFixed(2)} is spent ($${spent.toFixed(2)} today): no new agents start until tomorrow (UTC), or raise daily_budget_usd in .huskies/project.toml.`;
}
