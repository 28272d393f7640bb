// The failure converter of every closedloop client and worker (loaded by path, also inside the
// workflow sandbox): failure messages and stack traces travel as an encoded payload, so the
// payload codec encrypts them like any customer data and the history keeps no plain error text.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
