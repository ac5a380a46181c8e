// The board's filter box: a text field (#id, name, file name) and choices of type, agent and state.
// Plain inputs styled with the --vscode-* input colors; Escape clears the whole filter.
import { CARD_STATES, CARD_TYPES, NO_FILTER, isFilterActive, type BoardFilter, type CardState } from './boardFilter';
import { el } from './dom';

function select(id: string, label: string, any: string, values: readonly string[]): HTMLSelectElement {
  const s = el('select', 'filter-select');
  s.id = id;
  s.title = label;
  s.setAttribute('aria-label', label);
  fillOptions(s, any, values);
  return s;
}

function fillOptions(s: HTMLSelectElement, any: string, values: readonly string[]): void {
  const keep = s.value;
  const options = [el('option', undefined, any), ...values.map((v) => el('option', undefined, v))];
  options[0].value = '';
  for (let i = 1; i < options.length; i++) options[i].value = values[i - 1];
  s.replaceChildren(...options);
  s.value = values.includes(keep) ? keep : '';
}

export class FilterBar {
  readonly el: HTMLElement;
  private readonly text: HTMLInputElement;
  private readonly type: HTMLSelectElement;
  private readonly agent: HTMLSelectElement;
  private readonly state: HTMLSelectElement;
  private readonly clearButton: HTMLButtonElement;
  private agents: string[] = [];

  constructor(
    initial: BoardFilter,
    private readonly onChange: (f: BoardFilter) => void,
  ) {
    this.el = el('div', 'filter-bar');
    this.el.id = 'board-filter';
    this.el.setAttribute('role', 'search');
    this.text = el('input', 'filter-text');
    this.text.id = 'filter-text';
    this.text.type = 'search';
    this.text.placeholder = 'Filter: #id, name or file';
    this.text.setAttribute('aria-label', 'Filter cards by #id, name or file name');
    this.text.spellcheck = false;
    this.type = select('filter-type', 'Filter by type', 'Any type', CARD_TYPES);
    this.agent = select('filter-agent', 'Filter by agent', 'Any agent', []);
    this.state = select('filter-state', 'Filter by state', 'Any state', CARD_STATES);
    this.clearButton = el('button', 'filter-clear', 'Clear');
    this.clearButton.type = 'button';
    this.clearButton.title = 'Clear the filter (Escape)';
    this.el.append(this.text, this.type, this.agent, this.state, this.clearButton);
    if (initial.agent) this.setAgents([initial.agent]);
    this.text.value = initial.text;
    this.type.value = initial.type;
    this.agent.value = initial.agent;
    this.state.value = initial.state;
    this.syncClear();
    this.text.addEventListener('input', () => this.changed());
    for (const s of [this.type, this.agent, this.state]) s.addEventListener('change', () => this.changed());
    this.clearButton.addEventListener('click', () => this.clear());
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && isFilterActive(this.value)) {
        e.preventDefault();
        e.stopPropagation();
        this.clear();
      }
    });
  }

  get value(): BoardFilter {
    return { text: this.text.value, type: this.type.value, agent: this.agent.value, state: this.state.value as CardState | '' };
  }

  /** The agents to choose from; the chosen one stays listed even when no card names it now. */
  setAgents(names: string[]): void {
    const chosen = this.agent.value;
    const all = chosen && !names.includes(chosen) ? [...names, chosen].sort((a, b) => a.localeCompare(b)) : names;
    if (all.length === this.agents.length && all.every((n, i) => n === this.agents[i])) return;
    this.agents = all;
    fillOptions(this.agent, 'Any agent', all);
  }

  clear(): void {
    if (!isFilterActive(this.value)) return;
    this.text.value = NO_FILTER.text;
    this.type.value = NO_FILTER.type;
    this.agent.value = NO_FILTER.agent;
    this.state.value = NO_FILTER.state;
    this.changed();
  }

  private changed(): void {
    this.syncClear();
    this.onChange(this.value);
  }

  private syncClear(): void {
    const active = isFilterActive(this.value);
    this.clearButton.hidden = !active;
    this.el.classList.toggle('active', active);
  }
}
