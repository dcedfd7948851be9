import type { Provider } from '@nestjs/common';
import { SLOTS_SOURCE, type SlotsSource } from '../heartbeat/heartbeat.service';

/** Slots are not wired yet: this runner reports none. */
const noSlots: SlotsSource = { views: () => [], memoryAllocated: () => 0 };

export const slotProviders: Provider[] = [{ provide: SLOTS_SOURCE, useValue: noSlots }];
