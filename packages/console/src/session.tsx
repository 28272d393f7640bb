import { createContext, useContext } from 'react';
import type { Me } from './api.ts';

export interface Org {
  segments: { id: string; name: string; parent?: string }[];
  people: { id: string; name: string }[];
}

/** Who uses the console, and the organisation's segments and people (for pick lists). */
export interface SessionInfo {
  me?: Me;
  /** No sign-in on this server: changes are made as this person (dev picker). */
  devActor?: string;
  org: Org;
}

export const SessionContext = createContext<SessionInfo>({ org: { segments: [], people: [] } });
export const useSession = () => useContext(SessionContext);

export function canWrite(s: SessionInfo): boolean {
  return s.me ? s.me.can.write : s.devActor !== undefined;
}

export function canEditRules(s: SessionInfo): boolean {
  return s.me ? s.me.can.editRules : s.devActor !== undefined;
}

export function nameOf(org: Org, personId: string): string {
  return org.people.find((p) => p.id === personId)?.name ?? personId;
}

export function segmentName(org: Org, id: string): string {
  return org.segments.find((s) => s.id === id)?.name ?? id;
}
