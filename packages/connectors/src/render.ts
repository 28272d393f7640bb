import { escapeHtml } from '@closedloop/core';

// Core's one HTML escaper, re-exported for the email and chat modules.
export { escapeHtml };

/**
 * A tiny, logic-less template renderer: `{{name}}` inserts a variable, `{{#name}}…{{/name}}`
 * keeps its content only when the variable is set and non-empty, `{{^name}}…{{/name}}` only
 * when it is not. No expressions, no code, no eval: templates are data an ops admin can edit.
 */
export type TemplateVars = Readonly<Record<string, string | number | undefined | null>>;

const SECTION = /\{\{([#^])\s*([\w.-]+)\s*\}\}([\s\S]*?)\{\{\/\s*\2\s*\}\}/g;
const VARIABLE = /\{\{\s*([\w.-]+)\s*\}\}/g;

function present(value: TemplateVars[string]): boolean {
  return value !== undefined && value !== null && String(value).trim() !== '';
}

/**
 * Renders `template` with `vars`; `escapeValue` is applied to every inserted value (e.g. HTML-escaping),
 * never to the template's own text. Unknown variables render as the empty string.
 *
 * @example
 * renderTemplate('Hello {{name}}{{#code}}, your code: {{code}}{{/code}}', { name: 'Ana', code: 'X1' });
 * // 'Hello Ana, your code: X1'
 */
export function renderTemplate(
  template: string,
  vars: TemplateVars,
  escapeValue: (s: string) => string = (s) => s,
): string {
  let out = template;
  // Sections may nest (different names); resolve innermost-first, a bounded number of passes.
  for (let pass = 0; pass < 8; pass++) {
    const next = out.replace(SECTION, (_m, kind: string, name: string, body: string) =>
      (kind === '#') === present(vars[name]) ? body : '',
    );
    if (next === out) break;
    out = next;
  }
  return out.replace(VARIABLE, (_m, name: string) => {
    const value = vars[name];
    return value === undefined || value === null ? '' : escapeValue(String(value));
  });
}

/** Turns plain text into escaped HTML paragraphs, keeping single line breaks as `<br>`. */
export function textToHtml(text: string): string {
  return text
    .trim()
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>\n')}</p>`)
    .join('\n');
}
