// The benchmark's reference: a bare workflow with the same number of activity calls as a loop up to
// its case (one decision, then one per effect), answering the same update-with-start.
import { condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export const bareCapture = defineUpdate<string, []>('bare.capture');
const { noop } = proxyActivities<{ noop(x: string): Promise<string> }>({ startToCloseTimeout: '1 minute' });

export async function bareLoop(input: { id: string; effects: number }): Promise<void> {
  let decided: string | undefined;
  setHandler(bareCapture, async () => {
    await condition(() => decided !== undefined);
    return decided!;
  });
  decided = await noop(input.id);
  await Promise.all(Array.from({ length: input.effects }, (_, i) => noop(`${input.id}:${i}`)));
  await condition(() => true);
}
