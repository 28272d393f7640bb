import type { Connector } from '../connector.ts';
import { EFFECT_TYPES } from '../domain/effect.ts';
import { closestName } from '../domain/suggest.ts';
import { ClosedLoopError, type FieldIssue } from '../errors.ts';

/**
 * Checks the connectors handed to `createClosedLoop` before anything runs: each needs a unique
 * `name`, `capabilities` listing effect types and a `deliver` function. A mistake is a clear
 * error now, not a TypeError in the middle of a commit later.
 */
export function checkConnectors(connectors: readonly unknown[]): Connector[] {
  const issues: FieldIssue[] = [];
  const names = new Set<string>();
  connectors.forEach((c, i) => {
    const at = `connectors[${i}]`;
    if (typeof c !== 'object' || c === null) {
      issues.push({ path: at, message: 'expected a connector object { name, capabilities, deliver }' });
      return;
    }
    const o = c as Record<string, unknown>;
    const label = typeof o.name === 'string' && o.name ? ` ("${o.name}")` : '';
    if (typeof o.name !== 'string' || o.name === '')
      issues.push({ path: `${at}.name`, message: 'give the connector a unique name, e.g. "email"' });
    else if (names.has(o.name))
      issues.push({
        path: `${at}.name`,
        message: `two connectors are named "${o.name}": give each a unique name`,
      });
    else names.add(o.name);
    if (!Array.isArray(o.capabilities)) {
      const near = Object.keys(o).find((k) => closestName(k, ['capabilities']) === 'capabilities');
      issues.push({
        path: `${at}.capabilities`,
        message: `connector${label} has no capabilities: list the effect types it delivers, e.g. capabilities: ['notify'] (one of ${EFFECT_TYPES.join(', ')})${near ? `; did you mean "capabilities" instead of "${near}"?` : ''}`,
      });
    } else {
      o.capabilities.forEach((t, j) => {
        if (!(EFFECT_TYPES as readonly unknown[]).includes(t)) {
          const near = typeof t === 'string' ? closestName(t, EFFECT_TYPES) : undefined;
          issues.push({
            path: `${at}.capabilities[${j}]`,
            message: `"${String(t)}" is not an effect type${near ? `: did you mean "${near}"?` : ''} (one of ${EFFECT_TYPES.join(', ')})`,
          });
        }
      });
    }
    if (typeof o.deliver !== 'function')
      issues.push({
        path: `${at}.deliver`,
        message: `connector${label} needs deliver(effect, ctx): an async function`,
      });
    for (const k of ['health', 'close'] as const)
      if (o[k] !== undefined && typeof o[k] !== 'function')
        issues.push({ path: `${at}.${k}`, message: `${k} must be a function when given` });
  });
  if (issues.length) {
    const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
    throw new ClosedLoopError('INVALID_INPUT', `Invalid connectors: ${issues.length} problem(s)\n${list}`, {
      issues,
    });
  }
  return connectors as Connector[];
}
