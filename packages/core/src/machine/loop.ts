import { type AnyActorScope, createActor } from 'xstate';
import type { Effect } from '../domain/effect.ts';
import { ClosedLoopError } from '../errors.ts';
import { initialContext, type LoopMachine } from './machine.ts';
import { EVENT_WORDS, type Refusal, refusalOf } from './refusal.ts';
import type { LoopContext, LoopEnv, LoopEvent, LoopInput, LoopState } from './types.ts';

/** A loop at rest, as stored: plain JSON, no pending xstate timers (the runtime owns timers). */
export interface LoopSnapshot {
  state: LoopState;
  context: LoopContext;
}

function stateOf(value: unknown): LoopState {
  if (typeof value === 'string') return value as LoopState;
  const [parent, child] = Object.entries(value as Record<string, string>)[0]!;
  return `${parent}.${child}` as LoopState;
}

function stateValue(state: LoopState): string | Record<string, string> {
  const [outer, child] = state.split('.');
  return child === undefined ? outer! : { [outer!]: child };
}

// xstate's `transition()` / `initialTransition()` build a throwaway actor on every call, which
// costs more than the step itself. The loop machine spawns no children and schedules no delayed
// events, so one inert scope per machine can serve every pure step (stepping.test.ts checks that
// it steps every event in every state exactly as the public `transition()` does).
const scopes = new WeakMap<LoopMachine, AnyActorScope>();
function scopeOf(machine: LoopMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (!scope) {
    const placeholder = { loopId: '', caseId: '', feedback: {} } as LoopInput;
    const self = createActor(machine, { input: placeholder });
    const noop = () => {};
    scope = {
      self,
      defer: noop,
      id: '',
      logger: noop,
      sessionId: '',
      stopChild: noop,
      system: self.system,
      emit: noop,
      actionExecutor: noop,
    } as unknown as AnyActorScope;
    scopes.set(machine, scope);
  }
  return scope;
}

/** The first snapshot of a new loop: state `captured`. */
export function startLoop(_machine: LoopMachine, input: LoopInput): LoopSnapshot {
  // The initial state has no entry actions: its snapshot is the initial context in `captured`
  // (stepping.test.ts checks it against xstate's `initialTransition()`).
  return { state: 'captured', context: initialContext(input) };
}

export interface StepResult {
  snapshot: LoopSnapshot;
  /** Whether the machine took the event. A refused event leaves the snapshot as it was. */
  accepted: boolean;
  /** Effects the event emitted (empty when refused). */
  effects: Effect[];
}

/** Feeds one event to a stored loop, purely. */
export function stepLoop(machine: LoopMachine, snapshot: LoopSnapshot, event: LoopEvent): StepResult {
  const restored = machine.resolveState({ value: stateValue(snapshot.state), context: snapshot.context });
  return transitionFrom(machine, restored, snapshot, event);
}

/**
 * A new loop and its first event in one go: the same as `stepLoop(machine, startLoop(machine,
 * input), event)` (stepping.test.ts checks it against xstate's `initialTransition()` +
 * `transition()`), at a tenth of the cost of the initial snapshot: the machine's initial state is
 * the plain `captured` with no entry actions, so it is restored with `resolveState` (about 1 µs)
 * instead of being built by `getInitialSnapshot` (about 11 µs, an initial macrostep).
 */
export function startAndStep(machine: LoopMachine, input: LoopInput, event: LoopEvent): StepResult {
  const context = initialContext(input);
  const initial = machine.resolveState({ value: 'captured', context });
  return transitionFrom(machine, initial, { state: 'captured', context }, event);
}

function transitionFrom(
  machine: LoopMachine,
  from: ReturnType<LoopMachine['resolveState']>,
  snapshot: LoopSnapshot,
  event: LoopEvent,
): StepResult {
  const next = machine.transition(from, event, scopeOf(machine));
  const accepted = next.context.version !== snapshot.context.version;
  if (!accepted) return { snapshot, accepted, effects: [] };
  return {
    snapshot: { state: stateOf(next.value), context: next.context },
    accepted,
    effects: next.context.pending,
  };
}

/**
 * Like {@link stepLoop}, but a refused event throws a {@link ClosedLoopError} (`MOVE_REFUSED`) that
 * names the case, its current state, why, and what is allowed instead.
 */
export function stepLoopOrThrow(
  machine: LoopMachine,
  env: LoopEnv,
  snapshot: LoopSnapshot,
  event: LoopEvent,
): StepResult {
  const refusal = refusalOf(env, snapshot.state, snapshot.context, event);
  if (refusal) throw refusedError(snapshot, event, refusal);
  const result = stepLoop(machine, snapshot, event);
  if (!result.accepted) {
    throw refusedError(snapshot, event, { reason: 'the loop machine did not take the event', allowed: [] });
  }
  return result;
}

export function refusedError(snapshot: LoopSnapshot, event: LoopEvent, refusal: Refusal): ClosedLoopError {
  const c = snapshot.context.case;
  const who = c
    ? `Case ${c.id} (status ${c.status}, segment ${c.segment}, owner ${c.owner})`
    : `Loop ${snapshot.context.loopId}`;
  const allowed = refusal.allowed.length > 0 ? ` Allowed: ${refusal.allowed.join(', ')}.` : '';
  return new ClosedLoopError(
    'MOVE_REFUSED',
    `${who} refused ${EVENT_WORDS[event.type] ?? 'the change'}: ${refusal.reason}.${allowed}`,
    {
      details: {
        caseId: c?.id,
        loopId: snapshot.context.loopId,
        state: snapshot.state,
        status: c?.status,
        segment: c?.segment,
        event: event.type,
        reason: refusal.reason,
        allowed: refusal.allowed,
      },
    },
  );
}
