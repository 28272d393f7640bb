import type { EmbeddedClosedLoop } from '@closedloop/core';
import type { Hono } from 'hono';

/** Registers the web console routes (filled in below). */
export function registerConsole(_app: Hono, _loop: EmbeddedClosedLoop): void {}
