import { type Case, type CaseQuery, type Person, type Segment, SegmentTree } from '@closedloop/core';
import type { Need, Principal, Role, Scope } from './types.ts';

/** Which roles and token scopes satisfy each need. */
const ROLES_FOR: Record<Exclude<Need, 'public' | 'signedIn'>, readonly Role[]> = {
  capture: ['admin'],
  read: ['admin', 'rulesEditor', 'manager', 'agent', 'viewer'],
  write: ['admin', 'manager', 'agent'],
  rules: ['admin', 'rulesEditor'],
  admin: ['admin'],
};
const SCOPES_FOR: Record<Exclude<Need, 'public' | 'signedIn'>, readonly Scope[]> = {
  capture: ['capture', 'admin'],
  read: ['read', 'write', 'admin'],
  write: ['write', 'admin'],
  rules: ['admin'],
  admin: ['admin'],
};

/** Whether the principal may do what a route needs. */
export function allows(p: Principal | undefined, need: Need): boolean {
  if (need === 'public') return true;
  if (!p) return false;
  if (need === 'signedIn') return true;
  if (p.kind === 'service') return (p.scopes ?? []).some((s) => SCOPES_FOR[need].includes(s));
  return p.roles.some((r) => ROLES_FOR[need].includes(r));
}

/** What to tell someone refused: the roles and token scopes that would do. */
export function needText(need: Need): string {
  if (need === 'public' || need === 'signedIn') return 'signing in';
  return `the "${need}" permission (role ${ROLES_FOR[need].join(', ')}; or a token with scope ${SCOPES_FOR[need].join(' or ')})`;
}

/**
 * A person's roles: those the directory gives them plus those mapped from their provider groups;
 * with none configured, `manager` for people who manage a segment and `agent` for everyone else.
 */
export function rolesOf(
  person: Person,
  segments: readonly Segment[],
  groupRoles: readonly Role[] = [],
): Role[] {
  const set = new Set<Role>([...((person.roles ?? []) as Role[]), ...groupRoles]);
  if (set.size === 0) set.add(segments.some((s) => s.managers.includes(person.id)) ? 'manager' : 'agent');
  return [...set];
}

/** Which cases a principal may see: all, those of some segments, or those they own. */
export type CaseScope = { all: true } | { all: false; segments: string[]; owner: string };

const SEES_ALL: readonly Role[] = ['admin', 'rulesEditor', 'viewer'];

export function caseScopeOf(p: Principal, segments: readonly Segment[]): CaseScope {
  if (p.kind === 'service' || p.roles.some((r) => SEES_ALL.includes(r))) return { all: true };
  const managed: string[] = [];
  if (p.roles.includes('manager')) {
    const tree = new SegmentTree(segments);
    for (const s of segments) if (s.managers.includes(p.id)) managed.push(s.id, ...tree.descendants(s.id));
  }
  return { all: false, segments: [...new Set(managed)], owner: p.id };
}

/** A segment id no case has: a filter that matches nothing. */
const NOTHING = ' nothing visible ';

const asArray = (v: string | string[] | undefined) =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/**
 * Narrows a case query to what the scope may see, so lists, counts, searches and exports agree.
 * A manager sees their segments' cases; someone who manages nothing sees the cases they own.
 */
export function narrowQuery<Q extends CaseQuery>(query: Q, scope: CaseScope): Q {
  if (scope.all) return query;
  if (scope.segments.length === 0) {
    const owners = asArray(query.owner);
    return { ...query, owner: owners && !owners.includes(scope.owner) ? NOTHING : scope.owner };
  }
  const asked = asArray(query.segment);
  const segment = asked ? asked.filter((s) => scope.segments.includes(s)) : scope.segments;
  return { ...query, segment: segment.length > 0 ? segment : NOTHING };
}

/** Whether the scope covers one case (its segment, or the person owns it). */
export function seesCase(scope: CaseScope, c: Pick<Case, 'segment' | 'owner'>): boolean {
  return scope.all || scope.segments.includes(c.segment) || c.owner === scope.owner;
}
