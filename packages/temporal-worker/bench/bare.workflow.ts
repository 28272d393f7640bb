// The benchmark's reference: a bare workflow with the same activity calls as a loop up to its
// case (one decision, then per effect a local activity to route it and an activity to deliver
// it), answering the same update-with-start.
import {
  condition,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';

export const bareCapture = defineUpdate<string, []>('bare.capture');
const { noop } = proxyActivities<{ noop(x: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });
const { localNoop } = proxyLocalActivities<{ localNoop(x: string): Promise<string> }>({
  startToCloseTimeout: '30s',
});

export async function bareLoop(input: { id: string; effects: number }): Promise<void> {
  let decided: string | undefined;
  setHandler(bareCapture, async () => {
    await condition(() => decided !== undefined);
    return decided!;
  });
  decided = await noop(input.id);
  await Promise.all(
    Array.from({ length: input.effects }, async (_, i) => noop(await localNoop(`${input.id}:${i}`))),
  );
  await condition(() => true);
}
