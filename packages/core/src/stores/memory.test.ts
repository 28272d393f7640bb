import { memoryStore } from '@closedloop/core';
import { storeConformance } from './conformance.ts';

storeConformance('memory', async () => memoryStore());
