import { closestName } from '@closedloop/core';

/** The closest name to `word` among `names`, for "did you mean" hints (one implementation, in core). */
export const closest = closestName;
